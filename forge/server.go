// SPDX-License-Identifier: GPL-2.0-only

// Package forge is lockbot's GitHub App, `lockbot serve`: a webhook server
// that queues a review job for each pull request opened or pushed to, and
// workers that run the same review as `lockbot check` on it through
// GitHub's API (no clone: the merge base's files are read as the diff
// needs them) and post one review whose comments sit on the lines that
// introduced each problem, plus a check run.
//
// Deliveries are acknowledged once their signature is checked and their
// jobs are stored (package store): the work survives restarts, a worker
// that dies loses its lease and the job runs again, and what was posted is
// found again from the hidden markers in lockbot's comments, so a rerun
// does not post twice.
package forge

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"lockbot/forge/store"
	"lockbot/kb"
)

// Config sets up a Server. Zero limits take the defaults.
type Config struct {
	// MetricsApart serves /metrics only on MetricsHandler, not beside the
	// public webhook (serve --metrics-listen).
	MetricsApart  bool
	AppID         int64
	PrivateKey    []byte // PEM, as GitHub issues it
	WebhookSecret []byte
	// APIURL is GitHub's REST API (https://api.github.com, or a GitHub
	// Enterprise Server's https://HOST/api/v3).
	APIURL string
	Store  store.Store
	// KB is the knowledge base (with the server's --kb files); a
	// repository's own kb files are added to it per job.
	KB      *kb.KB
	KBFiles []string
	// IndexPath is a lockbot index of the tree the repositories follow;
	// "" for none.
	IndexPath string
	// Kconfig is the kernel configuration that resolves #ifdef variants
	// (a .config; "" for none: the bases are not checked out, so there
	// is no tree's own).
	Kconfig string
	Workers int
	// Lease is how long a claimed job is a worker's without a heartbeat.
	Lease time.Duration
	// Poll is how often idle workers look for jobs another replica
	// queued.
	Poll        time.Duration
	MaxAttempts int
	// MaxFiles and MaxLines bound the pull requests reviewed; MaxFileBytes
	// a file read from the tree; MaxBody a webhook delivery.
	MaxFiles, MaxLines int
	MaxFileBytes       int64
	MaxBody            int64
	// MaxInflight bounds the webhook bodies read at once: a body is read
	// whole before its signature can be checked, so anyone can make the
	// server hold one. Past it, a delivery waits a moment for a slot, then
	// is answered 503.
	MaxInflight int
	// CacheBytes bounds the cache of files read through the API.
	CacheBytes int64
	// MaxRateWait is the longest a request waits in place, in all, for
	// rate limits to lift; longer, the job goes back in the queue until
	// then. It is at most half of APITimeout.
	MaxRateWait time.Duration
	// APITimeout bounds one GitHub API request, the waits for its rate
	// limits included.
	APITimeout time.Duration
	// JobTimeout bounds one run of a job: its context's deadline. A job
	// cut by it is not retried (it would take as long again); its check
	// run says the review took too long.
	JobTimeout time.Duration
	Log        *slog.Logger

	// slotWait is how long a delivery waits for a slot to read its body
	// in; tests shorten it.
	slotWait time.Duration
}

func (c *Config) defaults() error {
	if c.AppID <= 0 {
		return errors.New("forge: no App ID")
	}
	if len(c.PrivateKey) == 0 {
		return errors.New("forge: no App private key")
	}
	// github.ValidatePayload checks nothing with an empty secret.
	if len(c.WebhookSecret) == 0 {
		return errors.New("forge: no webhook secret: every delivery must be signed")
	}
	if c.Store == nil || c.KB == nil {
		return errors.New("forge: no store or knowledge base")
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def64 := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.APIURL == "" {
		c.APIURL = "https://api.github.com"
	}
	def(&c.Workers, 2)
	def(&c.MaxAttempts, 5)
	def(&c.MaxFiles, 300)
	def(&c.MaxLines, 20000)
	def64(&c.MaxFileBytes, 8<<20)
	// GitHub caps a delivery at 25 MB, but the events the App takes are
	// far smaller: a pull_request or check_run payload is tens of KB (a
	// PR's description and a check run's text at their 65,536-character
	// caps add a few hundred), and an installation event lists its
	// repositories at about 100 bytes each. 5 MiB leaves ten times the
	// largest of those, and MaxInflight bodies of it are 40 MiB.
	def64(&c.MaxBody, DefaultMaxBody)
	def(&c.MaxInflight, 8)
	defD(&c.slotWait, time.Second)
	def64(&c.CacheBytes, 256<<20)
	defD(&c.Lease, 2*time.Minute)
	defD(&c.Poll, 2*time.Second)
	defD(&c.MaxRateWait, 30*time.Second)
	defD(&c.APITimeout, 2*time.Minute)
	// A wait in place that the client's timeout cut short would fail the
	// request as a timeout, an attempt spent, instead of requeueing the
	// job for when the limit lifts; half leaves the request its time.
	c.MaxRateWait = min(c.MaxRateWait, c.APITimeout/2)
	defD(&c.JobTimeout, 10*time.Minute)
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// DefaultMaxBody is MaxBody when none is given (see Config.defaults).
const DefaultMaxBody = 5 << 20

// Server is the App: webhook endpoint, workers, metrics.
type Server struct {
	cfg   Config
	log   *slog.Logger
	st    store.Store
	apps  *apps
	cache *blobCache
	reg   *prometheus.Registry
	m     *metrics
	wake  chan struct{}
	// slots holds the buffers webhook bodies are read into, MaxInflight
	// of them, taken by a body being read, given back after and kept:
	// bodies anyone can send then cost at most MaxInflight x MaxBody,
	// however many come and however late the garbage collector runs (it
	// let fresh buffers add up to 3.5 times that).
	slots   chan []byte
	worker  string // this process's name in leases
	nextW   atomic.Int64
	handler http.Handler
}

// New checks the configuration and builds a server.
func New(cfg Config) (*Server, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	s := &Server{cfg: cfg, log: cfg.Log, st: cfg.Store, reg: prometheus.NewRegistry(), wake: make(chan struct{}, 1),
		slots:  make(chan []byte, cfg.MaxInflight),
		worker: fmt.Sprintf("%s-%d-%d", host, os.Getpid(), time.Now().UnixNano()%1e6), cache: newBlobCache(cfg.CacheBytes)}
	for range cfg.MaxInflight {
		s.slots <- nil // allocated as bodies come
	}
	s.m = newMetrics(s.reg, cfg.Store)
	rl := &rateLimits{base: http.DefaultTransport, maxWait: cfg.MaxRateWait, m: s.m}
	a, err := newApps(cfg.APIURL, cfg.AppID, cfg.PrivateKey, rl, cfg.APITimeout)
	if err != nil {
		return nil, err
	}
	s.apps = a
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhook", s.webhook)
	mux.HandleFunc("GET /healthz", s.healthz)
	if !cfg.MetricsApart {
		mux.Handle("GET /metrics", s.metricsHandler())
	}
	s.handler = mux
	return s, nil
}

func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg})
}

// Handler serves POST /webhook, GET /healthz and, unless MetricsApart,
// GET /metrics.
func (s *Server) Handler() http.Handler { return s.handler }

// MetricsHandler serves GET /metrics and GET /healthz, for a listener
// apart from the public one.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metricsHandler())
	mux.HandleFunc("GET /healthz", s.healthz)
	return mux
}

// Run serves on ln and runs the workers until ctx ends, then stops
// accepting deliveries, gives running jobs back to the queue and returns.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	wctx, stopWorkers := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := 0; i < s.cfg.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.work(wctx)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.prune(wctx)
	}()
	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hs.Shutdown(shut)
	stopWorkers()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.st.Ping(ctx); err != nil {
		http.Error(w, "store: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

// prune forgets, hourly, deliveries and finished jobs older than two
// weeks: GitHub redelivers within days, never weeks.
func (s *Server) prune(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if err := s.st.Prune(ctx, time.Now().Add(-14*24*time.Hour)); err != nil && ctx.Err() == nil {
			s.log.Warn("pruning the store", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// webhook acknowledges a delivery: checks its size and signature, stores
// it with the jobs it asks for, and answers; workers do the rest.
//
// Until its signature is checked a delivery is anyone's, and the body
// must be read whole to check it: what is cheap to refuse is refused
// first (no signature, a Content-Length over MaxBody), and bodies are
// read MaxInflight at a time, each within bodyTimeout, through the HMAC,
// into the buffer of the slot it took, grown once to its length.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	event := github.WebHookType(r)
	outcome := "error"
	defer func() {
		s.m.deliveries.WithLabelValues(eventLabel(event), outcome).Inc()
		s.m.webhookSeconds.Observe(time.Since(start).Seconds())
	}()
	// Only X-Hub-Signature-256 is taken: GitHub also sends the SHA-1
	// X-Hub-Signature, which is never enough alone.
	mac, ok := strings.CutPrefix(r.Header.Get(github.SHA256SignatureHeader), "sha256=")
	want, err := hex.DecodeString(mac)
	if !ok || err != nil || len(want) != sha256.Size {
		outcome = "bad_signature"
		s.log.Warn("webhook refused", "err", "no valid "+github.SHA256SignatureHeader, "remote", r.RemoteAddr)
		http.Error(w, "signature check failed", http.StatusUnauthorized)
		return
	}
	if r.ContentLength > s.cfg.MaxBody {
		outcome = "too_large"
		http.Error(w, fmt.Sprintf("delivery over %d bytes", s.cfg.MaxBody), http.StatusRequestEntityTooLarge)
		return
	}
	delivery := github.DeliveryID(r)
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if delivery == "" || len(delivery) > 100 || event == "" || ctype != "application/json" && ctype != formType {
		outcome = "bad_request"
		http.Error(w, "no X-GitHub-Delivery or X-GitHub-Event, or a Content-Type not GitHub's", http.StatusBadRequest)
		return
	}
	buf, ok := s.slot(r.Context())
	if !ok {
		outcome = "busy"
		s.log.Warn("webhook refused: too many deliveries being read", "remote", r.RemoteAddr, "max", s.cfg.MaxInflight)
		http.Error(w, "too many deliveries at once; try again", http.StatusServiceUnavailable)
		return
	}
	buf, err = s.readSigned(w, r, want, buf)
	var body []byte
	if err == nil {
		// Signed: GitHub's, and small.
		body = bytes.Clone(buf)
	}
	s.slots <- buf[:0]
	if err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			outcome = "too_large"
			http.Error(w, fmt.Sprintf("delivery over %d bytes", s.cfg.MaxBody), http.StatusRequestEntityTooLarge)
		case errors.Is(err, errBadSignature):
			outcome = "bad_signature"
			s.log.Warn("webhook refused", "err", err, "remote", r.RemoteAddr)
			http.Error(w, "signature check failed", http.StatusUnauthorized)
		default:
			outcome = "bad_request"
			s.log.Warn("webhook refused", "err", err, "remote", r.RemoteAddr)
			http.Error(w, "reading the delivery failed", http.StatusBadRequest)
		}
		return
	}
	payload := body
	if ctype == formType {
		// The JSON is the form's "payload"; the signature is the body's.
		form, err := url.ParseQuery(string(body))
		if err != nil {
			outcome = "bad_request"
			http.Error(w, "reading the form: "+err.Error(), http.StatusBadRequest)
			return
		}
		payload = []byte(form.Get("payload"))
	}
	now := time.Now()
	jobs, inst, err := s.jobsFor(event, payload, now)
	if err != nil {
		outcome = "bad_request"
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// GitHub gives up on a delivery after 10 s; a store that hangs (a
	// PostgreSQL server gone quiet) must not hold the handler longer.
	ectx, cancel := context.WithTimeout(r.Context(), enqueueTimeout)
	defer cancel()
	res, err := s.st.Enqueue(ectx, store.Delivery{ID: delivery, Event: event, Received: now, Installation: inst}, jobs)
	if err != nil {
		s.log.Error("storing a delivery", "delivery", delivery, "err", err)
		http.Error(w, "could not store the delivery", http.StatusServiceUnavailable)
		return
	}
	if inst != nil && !res.Dup {
		// A new token carries the new permissions; a removed
		// installation's is useless.
		s.apps.forget(inst.ID)
		s.log.Info("installation", "id", inst.ID, "account", inst.Account, "state", inst.State)
	}
	switch {
	case res.Dup:
		outcome = "duplicate"
		w.WriteHeader(http.StatusOK)
		fmt.Fprintln(w, "duplicate delivery")
		return
	case res.Queued > 0:
		outcome = "queued"
		select {
		case s.wake <- struct{}{}:
		default:
		}
	case res.Repeats > 0:
		// A replay, or a push to a head already reviewed.
		outcome = "repeat"
		s.log.Info("delivery repeats queued or recent jobs", "delivery", delivery, "event", event, "remote", r.RemoteAddr)
	default:
		outcome = "ignored"
	}
	s.log.Debug("delivery", "delivery", delivery, "event", event, "jobs", res.Queued, "repeats", res.Repeats)
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, "%d jobs queued, %d already queued or reviewed\n", res.Queued, res.Repeats)
}

// formType is the Content-Type of a webhook set to send a form.
const formType = "application/x-www-form-urlencoded"

// bodyTimeout bounds the reading of a delivery's body, and so how long a
// slow sender holds a slot: GitHub gives up on a delivery after 10 s.
const bodyTimeout = 10 * time.Second

// errBadSignature is a body whose HMAC is not its X-Hub-Signature-256.
var errBadSignature = errors.New("payload signature check failed")

// slot takes a slot's buffer to read a body in, waiting up to slotWait
// for one. The caller gives it back, s.slots <- buf[:0].
func (s *Server) slot(ctx context.Context) ([]byte, bool) {
	select {
	case buf := <-s.slots:
		return buf, true
	default:
	}
	t := time.NewTimer(s.cfg.slotWait)
	defer t.Stop()
	select {
	case buf := <-s.slots:
		return buf, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}

// readSigned reads a delivery's body into buf, at most MaxBody bytes
// within bodyTimeout, through the HMAC-SHA256 of the webhook secret, and
// checks the HMAC against want. It returns the buffer, grown maybe, even
// on an error.
func (s *Server) readSigned(w http.ResponseWriter, r *http.Request, want, buf []byte) ([]byte, error) {
	// Not every ResponseWriter can (a test's recorder); the server's
	// ReadTimeout still holds then.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyTimeout))
	mac := hmac.New(sha256.New, s.cfg.WebhookSecret)
	buf, err := readBody(io.TeeReader(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody), mac), r.ContentLength, s.cfg.MaxBody, buf)
	if err != nil {
		return buf, fmt.Errorf("reading the body: %w", err)
	}
	if !hmac.Equal(mac.Sum(nil), want) {
		return buf, errBadSignature
	}
	return buf, nil
}

// readBody reads r whole into buf, growing it as needed: to the body's
// size when it is known (the request's Content-Length, within limit: the
// caller checked) before reading, so that no read copies it; with no
// length (-1: a chunked body), up to limit+1 bytes, which r (a
// MaxBytesReader) never fills. io.ReadAll would double its buffer as it
// goes, to twice the body at worst. It returns the buffer, the body in
// it, even on an error.
func readBody(r io.Reader, size, limit int64, buf []byte) ([]byte, error) {
	// Grown to at least twice its size, a kept buffer grows a few times,
	// not at each body a byte longer than the last.
	grow := func(buf []byte, need int64) []byte {
		grown := make([]byte, len(buf), min(limit+1, max(need, 2*int64(cap(buf)))))
		copy(grown, buf)
		return grown
	}
	buf = buf[:0]
	if size > limit {
		return buf, &http.MaxBytesError{Limit: limit}
	}
	if size >= 0 {
		if int64(cap(buf)) < size {
			buf = grow(buf, size)
		}
		buf = buf[:size]
		n, err := io.ReadFull(r, buf)
		return buf[:n], err
	}
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return buf, &http.MaxBytesError{Limit: limit}
			}
			buf = grow(buf, 64<<10)
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// enqueueTimeout bounds the store's write of a delivery.
const enqueueTimeout = 5 * time.Second

// eventLabel keeps the metric's label set small whatever is sent.
func eventLabel(e string) string {
	switch e {
	case "pull_request", "check_run", "check_suite", "installation", "installation_repositories", "ping":
		return e
	}
	return "other"
}

// jobsFor reads a delivery and returns the reviews it asks for, or the
// installation state it records (stored with the delivery, so that a
// redelivery changes nothing).
func (s *Server) jobsFor(event string, payload []byte, now time.Time) ([]store.Job, *store.Installation, error) {
	if eventLabel(event) == "other" {
		return nil, nil, nil // the App does not subscribe to it; nothing to do
	}
	ev, err := github.ParseWebHook(event, payload)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the %s payload: %w", event, err)
	}
	repoJob := func(inst int64, repo *github.Repository, number int, head, reason string) store.Job {
		return store.Job{Installation: inst, Owner: repo.GetOwner().GetLogin(), Repo: repo.GetName(), Number: number,
			HeadSHA: head, Reason: reason, Created: now}
	}
	// byHead counts the jobs, at the end of jobs, whose pull request the
	// worker finds by its head commit: a re-run of a fork's checks names
	// none. Every other job must name its pull request.
	byHead := 0
	valid := func(j store.Job, numbered bool) error {
		if j.Installation == 0 || j.Owner == "" || j.Repo == "" || j.Number < 0 || numbered && j.Number == 0 || len(j.HeadSHA) < 7 {
			return errors.New("the payload lacks its installation, repository, number or head commit")
		}
		return nil
	}
	var jobs []store.Job
	switch e := ev.(type) {
	case *github.PullRequestEvent:
		switch e.GetAction() {
		case "opened", "synchronize", "reopened", "ready_for_review":
		default:
			return nil, nil, nil
		}
		if e.GetPullRequest().GetDraft() {
			return nil, nil, nil // reviewed once it is ready
		}
		jobs = append(jobs, repoJob(e.GetInstallation().GetID(), e.GetRepo(), e.GetPullRequest().GetNumber(),
			e.GetPullRequest().GetHead().GetSHA(), "pull_request."+e.GetAction()))
	case *github.CheckRunEvent:
		cr := e.GetCheckRun()
		if e.GetAction() != "rerequested" || cr.GetApp().GetID() != s.cfg.AppID {
			return nil, nil, nil
		}
		for _, pr := range cr.PullRequests {
			jobs = append(jobs, repoJob(e.GetInstallation().GetID(), e.GetRepo(), pr.GetNumber(), cr.GetHeadSHA(), "check_run.rerequested"))
		}
		if len(cr.PullRequests) == 0 {
			// GitHub lists only the pull requests whose head branch is in
			// the repository: a fork's is found by its head, by the worker.
			jobs = append(jobs, repoJob(e.GetInstallation().GetID(), e.GetRepo(), 0, cr.GetHeadSHA(), "check_run.rerequested"))
			byHead = 1
		}
	case *github.CheckSuiteEvent:
		cs := e.GetCheckSuite()
		if e.GetAction() != "rerequested" || cs.GetApp().GetID() != s.cfg.AppID {
			return nil, nil, nil
		}
		for _, pr := range cs.PullRequests {
			jobs = append(jobs, repoJob(e.GetInstallation().GetID(), e.GetRepo(), pr.GetNumber(), cs.GetHeadSHA(), "check_suite.rerequested"))
		}
		if len(cs.PullRequests) == 0 {
			jobs = append(jobs, repoJob(e.GetInstallation().GetID(), e.GetRepo(), 0, cs.GetHeadSHA(), "check_suite.rerequested"))
			byHead = 1
		}
	case *github.InstallationEvent:
		state := ""
		switch e.GetAction() {
		case "created", "unsuspend", "new_permissions_accepted":
			state = store.Active
		case "suspend":
			state = store.Suspended
		case "deleted":
			state = store.Deleted
		default:
			return nil, nil, nil
		}
		id := e.GetInstallation().GetID()
		if id == 0 {
			return nil, nil, errors.New("installation event without an installation")
		}
		return nil, &store.Installation{ID: id, Account: e.GetInstallation().GetAccount().GetLogin(), State: state}, nil
	}
	for i, j := range jobs {
		if err := valid(j, i < len(jobs)-byHead); err != nil {
			return nil, nil, err
		}
	}
	return jobs, nil, nil
}

// work claims and runs jobs until ctx ends.
func (s *Server) work(ctx context.Context) {
	name := s.worker + "/" + strconv.FormatInt(s.nextW.Add(1), 10)
	for ctx.Err() == nil {
		j, err := s.st.Claim(ctx, name, time.Now(), s.cfg.Lease)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("claiming a job", "err", err)
			}
			sleepCtx(ctx, s.cfg.Poll)
			continue
		}
		if j == nil {
			select {
			case <-ctx.Done():
			case <-s.wake:
			case <-time.After(s.cfg.Poll):
			}
			continue
		}
		s.runJob(ctx, name, j, s.process)
	}
}

// jobFunc does a job's work (Server.process; tests pass others).
type jobFunc func(ctx context.Context, j *store.Job, log *slog.Logger) (state, msg string, err error)

// errPanic is a job whose work panicked: a bug, or input nothing checked
// (a pull request's C, GitHub's answers). The job fails at once rather
// than taking the server down, and down again at each restart.
type errPanic struct{ v any }

func (e *errPanic) Error() string { return fmt.Sprint("panic: ", e.v) }

// guarded runs a job's work, turning a panic into an errPanic.
func guarded(ctx context.Context, run jobFunc, j *store.Job, log *slog.Logger) (state, msg string, err error) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("the job panicked", "panic", v, "stack", string(debug.Stack()))
			state, msg, err = "", "", &errPanic{v}
		}
	}()
	return run(ctx, j, log)
}

// runJob runs one claimed job under its lease: a heartbeat extends the
// lease, and a lost lease (another worker took the job over) cancels the
// run. The job then ends done, dropped, failed after MaxAttempts, or back
// in the queue.
func (s *Server) runJob(ctx context.Context, worker string, j *store.Job, run jobFunc) {
	start := time.Now()
	log := s.log.With("job", j.ID, "pr", fmt.Sprintf("%s/%s#%d", j.Owner, j.Repo, j.Number), "head", short(j.HeadSHA),
		"attempt", j.Attempts)
	jctx, cancel := context.WithTimeout(ctx, s.cfg.JobTimeout)
	defer cancel()
	var lost atomic.Bool
	beat := make(chan struct{})
	go func() {
		t := time.NewTicker(s.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-beat:
				return
			case <-t.C:
				if err := s.st.Extend(jctx, j.ID, worker, time.Now().Add(s.cfg.Lease)); err != nil {
					if errors.Is(err, store.ErrLeaseLost) {
						lost.Store(true)
						cancel()
						return
					}
					log.Warn("extending the lease", "err", err)
				}
			}
		}
	}()
	var (
		state, msg string
		err        error
	)
	// A job claimed past its attempts is one whose last attempt never
	// ended: the server died (a crash on this very pull request, maybe)
	// or lost the lease each time.
	exhausted := j.Attempts > s.cfg.MaxAttempts
	if !exhausted {
		state, msg, err = guarded(jctx, run, j, log)
	}
	close(beat)
	s.m.jobSeconds.Observe(time.Since(start).Seconds())

	// The job's own context may be over; the store writes are not part
	// of it.
	bg, bgCancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer bgCancel()
	now := time.Now()
	// why, set when the job ends without a review, is what its check
	// run says, completed, rather than stay in progress for good.
	var why string
	var end error
	outcome := state
	switch {
	case lost.Load():
		outcome = "lease_lost"
		log.Warn("lost the job's lease; another worker has it")
	case exhausted:
		outcome = store.Failed
		why = fmt.Sprintf("lockbot gave up after %d attempts: %s", s.cfg.MaxAttempts, unfinished(j.Error))
		log.Error("job given up", "why", why)
	case err == nil:
		end = s.st.Finish(bg, j.ID, worker, state, msg, now)
		log.Info("job ended", "state", state, "note", msg, "elapsed", time.Since(start).Round(time.Millisecond))
	case ctx.Err() != nil:
		// Shutting down: give the job back for the next start.
		outcome = "interrupted"
		end = s.st.Retry(bg, j.ID, worker, now, "interrupted by shutdown", true)
	case errors.Is(jctx.Err(), context.DeadlineExceeded):
		// Its own deadline: another attempt would take as long.
		outcome = "timed_out"
		why = fmt.Sprintf("the review took longer than %v", s.cfg.JobTimeout)
		log.Error("job timed out", "err", err)
	default:
		var p *errPanic
		if errors.As(err, &p) {
			outcome = store.Failed
			why = "lockbot failed on it, a bug: " + errText(err)
			break
		}
		if at, ok := retryAt(err, now); ok {
			outcome = "rate_limited"
			log.Warn("rate limited; back in the queue", "until", at.Format(time.RFC3339), "err", err)
			end = s.st.Retry(bg, j.ID, worker, at, errText(err), true)
			break
		}
		if j.Attempts >= s.cfg.MaxAttempts {
			outcome = store.Failed
			log.Error("job failed", "err", err)
			why = fmt.Sprintf("lockbot gave up after %d attempts: %s", j.Attempts, errText(err))
			break
		}
		outcome = "retried"
		backoff := time.Duration(1<<min(j.Attempts, 6)) * 15 * time.Second
		log.Warn("job failed; will retry", "err", err, "in", backoff)
		end = s.st.Retry(bg, j.ID, worker, now.Add(backoff), errText(err), false)
	}
	if why != "" {
		// The check run first: should the server die before the job is
		// recorded as ended, the job comes back exhausted, and this is
		// done again.
		if cerr := s.notReviewed(j, why); cerr != nil {
			log.Warn("completing the check run of a job not reviewed", "err", cerr)
		}
		msg := "not reviewed: " + why
		var p *errPanic
		if errors.As(err, &p) {
			msg = err.Error() // the panic, as it was
		}
		end = s.st.Finish(bg, j.ID, worker, store.Failed, msg, now)
	}
	if end != nil {
		log.Warn("recording the job's end", "err", end)
	}
	s.m.jobs.WithLabelValues(outcome).Inc()
}

// errText is an error's message, never empty: a job's record of why it
// failed must say something.
func errText(err error) string {
	if msg := err.Error(); strings.TrimSpace(msg) != "" {
		return msg
	}
	return fmt.Sprintf("an error with no message (%T)", err)
}

// unfinished says why the attempts of a job claimed past its last one
// came to nothing: the last never ended (last is the error of an earlier
// one, if any).
func unfinished(last string) string {
	const died = "the last did not finish (the server stopped, or lost the job, while it ran)"
	if last == "" {
		return "none finished (the server stopped, or lost the job, while each ran)"
	}
	return died + "; before that: " + last
}
