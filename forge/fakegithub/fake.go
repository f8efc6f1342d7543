// SPDX-License-Identifier: GPL-2.0-only

// Package fakegithub is an in-memory GitHub for the App's tests and for
// `lockbot serve --demo`: the REST endpoints `lockbot serve` calls, served
// by net/http/httptest, behaving as
// GitHub does where it matters to a reviewer bot:
//
//   - App authentication: a JWT signed with the App's key (RS256, checked
//     against its public key) for /app endpoints, exchanged for
//     installation tokens that repository endpoints require (401 without,
//     404 for a repository the installation does not cover);
//   - a review is rejected whole with 422 when any comment's line is not
//     inside a hunk of the pull request's diff, on that side, or when a
//     body is over 65536 characters;
//   - lists are paginated (per_page capped at PageSize, Link headers);
//   - a secondary rate limit answers 403 (or 429) with Retry-After, on
//     demand;
//   - check runs take at most 50 annotations per request, and a summary
//     of at most 65535 characters (422 otherwise).
//
// Repositories hold commits made by applying patches; a pull request's
// files are its head's diff against its base, with GitHub's patch text.
// A pull request may come from a fork (OpenForkPR): as on GitHub, its head
// commit is the base repository's too (refs/pull/N/head), the fork is not
// the installation's (404), and a check run's or suite's pull_requests
// leave it out.
// It also delivers webhooks, signed as GitHub signs them.
package fakegithub

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
	"github.com/golang-jwt/jwt/v4"
	"github.com/google/go-github/v60/github"
)

// Server is a fake GitHub. Its exported fields may be set before requests.
type Server struct {
	*httptest.Server
	AppID         int64
	AppSlug       string
	Key           *rsa.PrivateKey
	WebhookSecret []byte
	// PageSize caps per_page, as GitHub caps it at 100.
	PageSize int
	// Hook, when set, runs before each API request is served; a true
	// result means it answered the request itself. Tests use it to stall
	// or fail a chosen request.
	Hook func(w http.ResponseWriter, r *http.Request) bool
	// After, when set, runs once a request is served and before its
	// answer leaves: blocking in it models a server that has done what
	// it was asked while the client never hears back.
	After func(r *http.Request)

	mu       sync.Mutex
	nextID   int64
	repos    map[string]*repo
	tokens   map[string]int64 // installation token → installation
	limits   []*limit
	requests []Request
}

// Request is an API request as served, for assertions.
type Request struct {
	Method, Path, Query string
	Status              int
	At                  time.Time
}

type repo struct {
	owner, name  string
	installation int64
	commits      map[string]map[string][]byte // sha → path → content
	pulls        map[int]*PR
	checkRuns    []*github.CheckRun
	annotations  map[int64][]*github.CheckRunAnnotation
}

// PR is a fake pull request.
type PR struct {
	Number           int
	BaseSHA, HeadSHA string
	// HeadOwner is the owner of the fork the head branch is in; "" for a
	// branch of the base repository.
	HeadOwner string
	State     string
	Draft     bool
	files     []*gitdiff.File // head's diff against base
	Reviews   []*github.PullRequestReview
	Comments  []*github.PullRequestComment
	// Rejected counts reviews refused with 422.
	Rejected int
}

type limit struct {
	n          int
	retryAfter int
	status     int
	match      func(*http.Request) bool
}

// New starts a fake with a fresh App key and webhook secret.
func New() *Server {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	s := &Server{AppID: 4242, AppSlug: "lockbot-test", Key: key, WebhookSecret: []byte("webhook-secret"),
		PageSize: 100, nextID: 1000, repos: map[string]*repo{}, tokens: map[string]int64{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /app/installations/{id}/access_tokens", s.accessToken)
	mux.HandleFunc("GET /app", s.app)
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls", s.repoAuth(s.listPulls))
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}", s.repoAuth(s.getPull))
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}/files", s.repoAuth(s.listFiles))
	mux.HandleFunc("GET /repos/{owner}/{repo}/compare/{basehead}", s.repoAuth(s.compare))
	mux.HandleFunc("GET /repos/{owner}/{repo}/contents/{path...}", s.repoAuth(s.contents))
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}/reviews", s.repoAuth(s.listReviews))
	mux.HandleFunc("POST /repos/{owner}/{repo}/pulls/{number}/reviews", s.repoAuth(s.createReview))
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}/comments", s.repoAuth(s.listComments))
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}/reviews/{id}/comments", s.repoAuth(s.listReviewComments))
	mux.HandleFunc("PATCH /repos/{owner}/{repo}/pulls/comments/{id}", s.repoAuth(s.editComment))
	mux.HandleFunc("POST /repos/{owner}/{repo}/check-runs", s.repoAuth(s.createCheckRun))
	mux.HandleFunc("PATCH /repos/{owner}/{repo}/check-runs/{id}", s.repoAuth(s.updateCheckRun))
	mux.HandleFunc("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", s.repoAuth(s.listCheckRuns))
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			s.mu.Lock()
			s.requests = append(s.requests, Request{r.Method, r.URL.Path, r.URL.RawQuery, rec.status, time.Now()})
			s.mu.Unlock()
		}()
		if s.Hook != nil && s.Hook(rec, r) {
			return
		}
		if s.rateLimited(rec, r) {
			return
		}
		mux.ServeHTTP(rec, r)
		if s.After != nil {
			s.After(r)
		}
	}))
	return s
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// KeyPEM is the App's private key as GitHub lets one download it.
func (s *Server) KeyPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(s.Key)})
}

// BotLogin is the user the App's comments are posted as.
func (s *Server) BotLogin() string { return s.AppSlug + "[bot]" }

// Requests returns the API requests served so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// SecondaryLimit makes the next n requests that match answer 403 with
// Retry-After: retryAfter seconds, as GitHub's secondary rate limit does.
func (s *Server) SecondaryLimit(n, retryAfter int, match func(*http.Request) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = append(s.limits, &limit{n, retryAfter, http.StatusForbidden, match})
}

// TooManyRequests makes the next n requests that match answer 429 with
// Retry-After: retryAfter seconds, as GitHub also answers a secondary
// rate limit.
func (s *Server) TooManyRequests(n, retryAfter int, match func(*http.Request) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = append(s.limits, &limit{n, retryAfter, http.StatusTooManyRequests, match})
}

func (s *Server) rateLimited(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	var hit *limit
	for _, l := range s.limits {
		if l.n > 0 && (l.match == nil || l.match(r)) {
			l.n--
			hit = l
			break
		}
	}
	s.mu.Unlock()
	if hit == nil {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(hit.retryAfter))
	writeJSON(w, hit.status, map[string]string{
		"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
		"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
	})
	return true
}

// AddRepo creates a repository covered by an installation, with a first
// commit holding files; it returns that commit.
func (s *Server) AddRepo(owner, name string, installation int64, files map[string][]byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &repo{owner: owner, name: name, installation: installation, commits: map[string]map[string][]byte{},
		pulls: map[int]*PR{}, annotations: map[int64][]*github.CheckRunAnnotation{}}
	s.repos[owner+"/"+name] = r
	return r.commit(files)
}

func (r *repo) commit(files map[string][]byte) string {
	h := sha1.New()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(files[n]))
		h.Write(files[n])
	}
	sha := hex.EncodeToString(h.Sum(nil))
	r.commits[sha] = files
	return sha
}

// AddRepoCommit adds a commit holding files (a new state of the base
// branch) and returns it.
func (s *Server) AddRepoCommit(owner, name string, files map[string][]byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.repos[owner+"/"+name].commit(files)
}

func (r *repo) apply(parent, patch string) (string, []*gitdiff.File, error) {
	base, ok := r.commits[parent]
	if !ok {
		return "", nil, fmt.Errorf("no commit %s", parent)
	}
	files, _, err := gitdiff.Parse(strings.NewReader(patch))
	if err != nil {
		return "", nil, err
	}
	next := map[string][]byte{}
	for p, c := range base {
		next[p] = c
	}
	for _, f := range files {
		var out bytes.Buffer
		if err := gitdiff.Apply(&out, bytes.NewReader(base[f.OldName]), f); err != nil {
			return "", nil, fmt.Errorf("%s: %w", f.NewName, err)
		}
		if !f.IsNew {
			delete(next, f.OldName)
		}
		if !f.IsDelete {
			next[f.NewName] = out.Bytes()
		}
	}
	return r.commit(next), files, nil
}

// OpenPR opens pull request number on base, its head being base with
// patch (a git diff) applied. It returns the head commit.
func (s *Server) OpenPR(owner, name string, number int, base, patch string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[owner+"/"+name]
	head, files, err := r.apply(base, patch)
	if err != nil {
		return "", err
	}
	r.pulls[number] = &PR{Number: number, BaseSHA: base, HeadSHA: head, State: "open", files: files}
	return head, nil
}

// OpenForkPR opens pull request number on base from a branch of
// forkOwner's fork of the repository, its head being base with patch
// applied. It returns the head commit.
func (s *Server) OpenForkPR(owner, name string, number int, forkOwner, base, patch string) (string, error) {
	head, err := s.OpenPR(owner, name, number, base, patch)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repos[owner+"/"+name].pulls[number].HeadOwner = forkOwner
	return head, nil
}

// CheckRunRerequested is the payload GitHub sends when someone asks the
// App's latest check run on pull request number's head to run again
// ("Re-run"). Like GitHub, it lists the pull request in pull_requests
// only when its head branch is in the repository itself: for a fork's,
// the list is empty.
func (s *Server) CheckRunRerequested(owner, name string, number int) *github.CheckRunEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[owner+"/"+name]
	pr := r.pulls[number]
	var run *github.CheckRun
	for _, c := range r.checkRuns {
		if c.GetHeadSHA() == pr.HeadSHA {
			run = c
		}
	}
	ev := &github.CheckRunEvent{Action: github.String("rerequested"), Repo: r.repoJSON(s.URL),
		Installation: &github.Installation{ID: github.Int64(r.installation)},
		CheckRun: &github.CheckRun{HeadSHA: github.String(pr.HeadSHA), Name: github.String("lockbot"),
			App: &github.App{ID: github.Int64(s.AppID)}, PullRequests: []*github.PullRequest{}}}
	if run != nil {
		ev.CheckRun.ID, ev.CheckRun.ExternalID = run.ID, run.ExternalID
	}
	if pr.HeadOwner == "" {
		ev.CheckRun.PullRequests = append(ev.CheckRun.PullRequests, &github.PullRequest{Number: github.Int(number),
			Head: &github.PullRequestBranch{SHA: github.String(pr.HeadSHA), Ref: github.String("topic")}})
	}
	return ev
}

// Push moves a pull request's head to its base with patch applied: patch
// is the whole of the PR's diff after the push, as the files API shows it.
func (s *Server) Push(owner, name string, number int, patch string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[owner+"/"+name]
	pr := r.pulls[number]
	head, files, err := r.apply(pr.BaseSHA, patch)
	if err != nil {
		return "", err
	}
	pr.HeadSHA, pr.files = head, files
	return head, nil
}

// PR returns a copy of a pull request's state.
func (s *Server) PR(owner, name string, number int) PR {
	s.mu.Lock()
	defer s.mu.Unlock()
	pr := *s.repos[owner+"/"+name].pulls[number]
	pr.Reviews = append([]*github.PullRequestReview(nil), pr.Reviews...)
	pr.Comments = nil
	for _, c := range s.repos[owner+"/"+name].pulls[number].Comments {
		cp := *c
		pr.Comments = append(pr.Comments, &cp)
	}
	return pr
}

// SetState sets a pull request's state: "open" or "closed".
func (s *Server) SetState(owner, name string, number int, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repos[owner+"/"+name].pulls[number].State = state
}

// Reply adds a comment by a person, in reply to comment id.
func (s *Server) Reply(owner, name string, number int, id int64, login, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pr := s.repos[owner+"/"+name].pulls[number]
	s.nextID++
	pr.Comments = append(pr.Comments, &github.PullRequestComment{ID: github.Int64(s.nextID), InReplyTo: github.Int64(id),
		Body: github.String(body), User: &github.User{Login: github.String(login), Type: github.String("User")}})
}

// DeleteComment deletes a review comment, as a maintainer can.
func (s *Server) DeleteComment(owner, name string, number int, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pr := s.repos[owner+"/"+name].pulls[number]
	for i, c := range pr.Comments {
		if c.GetID() == id {
			pr.Comments = append(pr.Comments[:i], pr.Comments[i+1:]...)
			return
		}
	}
}

// CheckRuns returns the check runs of a repository and their annotations.
func (s *Server) CheckRuns(owner, name string) ([]*github.CheckRun, map[int64][]*github.CheckRunAnnotation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[owner+"/"+name]
	runs := make([]*github.CheckRun, len(r.checkRuns))
	for i, c := range r.checkRuns {
		cp := *c
		runs[i] = &cp
	}
	ann := map[int64][]*github.CheckRunAnnotation{}
	for id, a := range r.annotations {
		ann[id] = append([]*github.CheckRunAnnotation(nil), a...)
	}
	return runs, ann
}

// Deliver sends a webhook to url as GitHub does: JSON body, event and
// delivery headers, X-Hub-Signature-256 made with the secret. A nil
// secret sends no signature.
func (s *Server) Deliver(url, event, delivery string, payload any, secret []byte) (*http.Response, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/fake")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	if secret != nil {
		req.Header.Set("X-Hub-Signature-256", Sign(secret, body))
	}
	return http.DefaultClient.Do(req)
}

// Sign is GitHub's X-Hub-Signature-256 of body.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// PullRequestEvent is the payload of a pull_request webhook for a PR.
func (s *Server) PullRequestEvent(action, owner, name string, number int) *github.PullRequestEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[owner+"/"+name]
	return &github.PullRequestEvent{
		Action:       github.String(action),
		Number:       github.Int(number),
		PullRequest:  r.pullJSON(s.URL, r.pulls[number]),
		Repo:         r.repoJSON(s.URL),
		Installation: &github.Installation{ID: github.Int64(r.installation)},
	}
}

func (r *repo) repoJSON(base string) *github.Repository {
	return &github.Repository{Name: github.String(r.name), FullName: github.String(r.owner + "/" + r.name),
		Owner:   &github.User{Login: github.String(r.owner)},
		HTMLURL: github.String(base + "/" + r.owner + "/" + r.name)}
}

func (r *repo) pullJSON(base string, pr *PR) *github.PullRequest {
	head := r.repoJSON(base)
	if pr.HeadOwner != "" {
		head = &github.Repository{Name: github.String(r.name), FullName: github.String(pr.HeadOwner + "/" + r.name),
			Owner: &github.User{Login: github.String(pr.HeadOwner)}, Fork: github.Bool(true),
			HTMLURL: github.String(base + "/" + pr.HeadOwner + "/" + r.name)}
	}
	return &github.PullRequest{
		Number: github.Int(pr.Number), State: github.String(pr.State), Draft: github.Bool(pr.Draft),
		Head: &github.PullRequestBranch{SHA: github.String(pr.HeadSHA), Ref: github.String("topic"), Repo: head},
		Base: &github.PullRequestBranch{SHA: github.String(pr.BaseSHA), Ref: github.String("master"), Repo: r.repoJSON(base)},
	}
}

// --- authentication

func (s *Server) appAuth(r *http.Request) error {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return fmt.Errorf("no JWT")
	}
	claims := &jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(tok, claims, func(t *jwt.Token) (any, error) {
		if t.Method != jwt.SigningMethodRS256 {
			return nil, fmt.Errorf("JWT signed with %v, not RS256", t.Header["alg"])
		}
		return &s.Key.PublicKey, nil
	})
	if err != nil {
		return err
	}
	if claims.Issuer != strconv.FormatInt(s.AppID, 10) {
		return fmt.Errorf("JWT issuer %q is not the App", claims.Issuer)
	}
	if claims.ExpiresAt == nil || claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > 10*time.Minute {
		return fmt.Errorf("JWT expiry is too far in the future")
	}
	return nil
}

func badCredentials(w http.ResponseWriter, why string) {
	writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials: " + why,
		"documentation_url": "https://docs.github.com/rest"})
}

func (s *Server) accessToken(w http.ResponseWriter, r *http.Request) {
	if err := s.appAuth(r); err != nil {
		badCredentials(w, err.Error())
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	b := make([]byte, 16)
	rand.Read(b)
	tok := "ghs_" + hex.EncodeToString(b)
	s.mu.Lock()
	s.tokens[tok] = id
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"token": tok, "expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
}

func (s *Server) app(w http.ResponseWriter, r *http.Request) {
	if err := s.appAuth(r); err != nil {
		badCredentials(w, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, &github.App{ID: github.Int64(s.AppID), Slug: github.String(s.AppSlug), Name: github.String(s.AppSlug)})
}

type repoHandler func(w http.ResponseWriter, r *http.Request, rp *repo)

// repoAuth checks the installation token and finds the repository; the
// handler runs with the lock held.
func (s *Server) repoAuth(h repoHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "token ")
		if !ok {
			tok, ok = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		inst, known := s.tokens[tok]
		if !ok || !known {
			badCredentials(w, "no installation token")
			return
		}
		rp := s.repos[r.PathValue("owner")+"/"+r.PathValue("repo")]
		if rp == nil || rp.installation != inst {
			notFound(w)
			return
		}
		h(w, r, rp)
	}
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func unprocessable(w http.ResponseWriter, errs ...string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Unprocessable Entity", "errors": errs,
		"documentation_url": "https://docs.github.com/rest"})
}

// --- pull requests

func (s *Server) pull(w http.ResponseWriter, r *http.Request, rp *repo) *PR {
	n, _ := strconv.Atoi(r.PathValue("number"))
	pr := rp.pulls[n]
	if pr == nil {
		notFound(w)
	}
	return pr
}

// listPulls lists the open pull requests (state=open, GitHub's default),
// by number.
func (s *Server) listPulls(w http.ResponseWriter, r *http.Request, rp *repo) {
	if st := r.URL.Query().Get("state"); st != "" && st != "open" {
		unprocessable(w, "the fake lists open pull requests only")
		return
	}
	var nums []int
	for n, pr := range rp.pulls {
		if pr.State == "open" {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	out := make([]*github.PullRequest, 0, len(nums))
	for _, n := range nums {
		out = append(out, rp.pullJSON(s.URL, rp.pulls[n]))
	}
	paginate(s, w, r, out)
}

func (s *Server) getPull(w http.ResponseWriter, r *http.Request, rp *repo) {
	if pr := s.pull(w, r, rp); pr != nil {
		writeJSON(w, http.StatusOK, rp.pullJSON(s.URL, pr))
	}
}

// paginate writes one page of items with GitHub's Link header.
func paginate[T any](s *Server, w http.ResponseWriter, r *http.Request, items []T) {
	per, err := strconv.Atoi(r.URL.Query().Get("per_page"))
	if err != nil || per <= 0 {
		per = 30
	}
	per = min(per, s.PageSize)
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	from := min((page-1)*per, len(items))
	to := min(from+per, len(items))
	last := max(1, (len(items)+per-1)/per)
	if page < last {
		link := func(p int, rel string) string {
			q := r.URL.Query()
			q.Set("page", strconv.Itoa(p))
			q.Set("per_page", strconv.Itoa(per))
			return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, s.URL, r.URL.Path, q.Encode(), rel)
		}
		w.Header().Set("Link", link(page+1, "next")+", "+link(last, "last"))
	}
	writeJSON(w, http.StatusOK, items[from:to])
}

func (s *Server) listFiles(w http.ResponseWriter, r *http.Request, rp *repo) {
	pr := s.pull(w, r, rp)
	if pr == nil {
		return
	}
	var out []*github.CommitFile
	head := rp.commits[pr.HeadSHA]
	for _, f := range pr.files {
		cf := &github.CommitFile{Filename: github.String(f.NewName)}
		var patch strings.Builder
		adds, dels := 0, 0
		for _, frag := range f.TextFragments {
			patch.WriteString(frag.String())
			adds += int(frag.LinesAdded)
			dels += int(frag.LinesDeleted)
		}
		switch {
		case f.IsNew:
			cf.Status = github.String("added")
		case f.IsDelete:
			cf.Status, cf.Filename = github.String("removed"), github.String(f.OldName)
		case f.IsRename:
			cf.Status, cf.PreviousFilename = github.String("renamed"), github.String(f.OldName)
		default:
			cf.Status = github.String("modified")
		}
		if !f.IsDelete {
			cf.SHA = github.String(blobSHA(head[f.NewName]))
		}
		// GitHub's patch has no trailing newline and none for binaries.
		if !f.IsBinary && patch.Len() > 0 {
			cf.Patch = github.String(strings.TrimSuffix(patch.String(), "\n"))
		}
		cf.Additions, cf.Deletions, cf.Changes = github.Int(adds), github.Int(dels), github.Int(adds+dels)
		out = append(out, cf)
	}
	paginate(s, w, r, out)
}

func blobSHA(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

func (s *Server) compare(w http.ResponseWriter, r *http.Request, rp *repo) {
	base, head, ok := strings.Cut(r.PathValue("basehead"), "...")
	if !ok || rp.commits[base] == nil || rp.commits[head] == nil {
		notFound(w)
		return
	}
	// Every pull request of the fake forks from its base itself.
	writeJSON(w, http.StatusOK, &github.CommitsComparison{
		BaseCommit:      &github.RepositoryCommit{SHA: github.String(base)},
		MergeBaseCommit: &github.RepositoryCommit{SHA: github.String(base)},
		Status:          github.String("ahead"),
	})
}

func (s *Server) contents(w http.ResponseWriter, r *http.Request, rp *repo) {
	ref := r.URL.Query().Get("ref")
	files, ok := rp.commits[ref]
	if !ok {
		notFound(w)
		return
	}
	data, ok := files[r.PathValue("path")]
	if !ok {
		notFound(w)
		return
	}
	if r.Header.Get("Accept") != "application/vnd.github.raw" {
		writeJSON(w, http.StatusNotAcceptable, map[string]string{"message": "the fake serves raw contents only"})
		return
	}
	w.Header().Set("Content-Type", "application/vnd.github.raw")
	w.Write(data)
}

func (s *Server) listReviews(w http.ResponseWriter, r *http.Request, rp *repo) {
	if pr := s.pull(w, r, rp); pr != nil {
		paginate(s, w, r, pr.Reviews)
	}
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request, rp *repo) {
	if pr := s.pull(w, r, rp); pr != nil {
		paginate(s, w, r, pr.Comments)
	}
}

func (s *Server) listReviewComments(w http.ResponseWriter, r *http.Request, rp *repo) {
	pr := s.pull(w, r, rp)
	if pr == nil {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var out []*github.PullRequestComment
	for _, c := range pr.Comments {
		if c.GetPullRequestReviewID() == id {
			out = append(out, c)
		}
	}
	paginate(s, w, r, out)
}

// inHunk reports whether line of path, on side, is shown by a hunk.
func inHunk(files []*gitdiff.File, path string, line int, side string) bool {
	for _, f := range files {
		name := f.NewName
		if side == "LEFT" {
			name = f.OldName
		}
		if name != path {
			continue
		}
		for _, frag := range f.TextFragments {
			start, n := frag.NewPosition, frag.NewLines
			if side == "LEFT" {
				start, n = frag.OldPosition, frag.OldLines
			}
			if int64(line) >= start && int64(line) < start+n {
				return true
			}
		}
	}
	return false
}

func (s *Server) bot() *github.User {
	return &github.User{Login: github.String(s.BotLogin()), Type: github.String("Bot")}
}

func (s *Server) createReview(w http.ResponseWriter, r *http.Request, rp *repo) {
	pr := s.pull(w, r, rp)
	if pr == nil {
		return
	}
	var req github.PullRequestReviewRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Problems parsing JSON"})
		return
	}
	var errs []string
	if req.GetEvent() != "COMMENT" && req.GetEvent() != "APPROVE" && req.GetEvent() != "REQUEST_CHANGES" {
		errs = append(errs, "event must be COMMENT, APPROVE or REQUEST_CHANGES")
	}
	if req.GetEvent() == "COMMENT" && req.GetBody() == "" && len(req.Comments) == 0 {
		errs = append(errs, "Body is required for COMMENT")
	}
	if req.GetCommitID() != pr.HeadSHA {
		errs = append(errs, "commit_id is not the pull request's head")
	}
	if tooLong(req.GetBody()) {
		errs = append(errs, "Body is too long (maximum is 65536 characters)")
	}
	for _, c := range req.Comments {
		side := c.GetSide()
		if side == "" {
			side = "RIGHT"
		}
		if c.Line == nil || !inHunk(pr.files, c.GetPath(), c.GetLine(), side) {
			errs = append(errs, "Pull request review thread line must be part of the diff")
		}
		if c.GetBody() == "" {
			errs = append(errs, "Pull request review thread body is blank")
		}
		if tooLong(c.GetBody()) {
			errs = append(errs, "Body is too long (maximum is 65536 characters)")
		}
	}
	if len(errs) > 0 {
		pr.Rejected++
		unprocessable(w, errs...)
		return
	}
	s.nextID++
	review := &github.PullRequestReview{ID: github.Int64(s.nextID), User: s.bot(), Body: github.String(req.GetBody()),
		CommitID: github.String(req.GetCommitID()), State: github.String("COMMENTED")}
	pr.Reviews = append(pr.Reviews, review)
	for _, c := range req.Comments {
		s.nextID++
		pr.Comments = append(pr.Comments, &github.PullRequestComment{ID: github.Int64(s.nextID), PullRequestReviewID: review.ID,
			User: s.bot(), Body: c.Body, Path: c.Path, Line: c.Line, Side: github.String("RIGHT"), CommitID: req.CommitID,
			OriginalCommitID: req.CommitID})
	}
	writeJSON(w, http.StatusOK, review)
}

// tooLong is a body over GitHub's bound for reviews and comments.
func tooLong(body string) bool { return utf8.RuneCountInString(body) > 65536 }

func (s *Server) editComment(w http.ResponseWriter, r *http.Request, rp *repo) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var req github.PullRequestComment
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil || req.Body == nil {
		unprocessable(w, "body is required")
		return
	}
	if tooLong(req.GetBody()) {
		unprocessable(w, "Body is too long (maximum is 65536 characters)")
		return
	}
	for _, pr := range rp.pulls {
		for _, c := range pr.Comments {
			if c.GetID() != id {
				continue
			}
			if c.GetUser().GetLogin() != s.BotLogin() {
				writeJSON(w, http.StatusForbidden, map[string]string{"message": "Resource not accessible by integration"})
				return
			}
			c.Body = req.Body
			writeJSON(w, http.StatusOK, c)
			return
		}
	}
	notFound(w)
}

// --- check runs

func (s *Server) createCheckRun(w http.ResponseWriter, r *http.Request, rp *repo) {
	var req github.CreateCheckRunOptions
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Problems parsing JSON"})
		return
	}
	if req.Output != nil && len(req.Output.Annotations) > 50 {
		unprocessable(w, "Only 50 annotations may be sent at a time")
		return
	}
	s.nextID++
	run := &github.CheckRun{ID: github.Int64(s.nextID), Name: github.String(req.Name), HeadSHA: github.String(req.HeadSHA),
		Status: req.Status, Conclusion: req.Conclusion, App: &github.App{ID: github.Int64(s.AppID)}}
	if run.Status == nil {
		run.Status = github.String("queued")
	}
	if req.Output != nil {
		run.Output = &github.CheckRunOutput{Title: req.Output.Title, Summary: req.Output.Summary, Text: req.Output.Text}
		rp.annotations[run.GetID()] = append(rp.annotations[run.GetID()], req.Output.Annotations...)
	}
	rp.checkRuns = append(rp.checkRuns, run)
	writeJSON(w, http.StatusCreated, run)
}

func (s *Server) updateCheckRun(w http.ResponseWriter, r *http.Request, rp *repo) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var req github.UpdateCheckRunOptions
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Problems parsing JSON"})
		return
	}
	if req.Output != nil && len(req.Output.Annotations) > 50 {
		unprocessable(w, "Only 50 annotations may be sent at a time")
		return
	}
	if req.Output != nil && utf8.RuneCountInString(req.Output.GetSummary()) > 65535 {
		unprocessable(w, "Invalid request. Only 65535 characters are allowed; 65536 were supplied.")
		return
	}
	for _, run := range rp.checkRuns {
		if run.GetID() != id {
			continue
		}
		if req.Status != nil {
			run.Status = req.Status
		}
		if req.Conclusion != nil {
			run.Conclusion, run.Status = req.Conclusion, github.String("completed")
		}
		if req.Output != nil {
			run.Output = &github.CheckRunOutput{Title: req.Output.Title, Summary: req.Output.Summary, Text: req.Output.Text}
			rp.annotations[id] = append(rp.annotations[id], req.Output.Annotations...)
		}
		writeJSON(w, http.StatusOK, run)
		return
	}
	notFound(w)
}

func (s *Server) listCheckRuns(w http.ResponseWriter, r *http.Request, rp *repo) {
	ref := r.PathValue("ref")
	name := r.URL.Query().Get("check_name")
	app := r.URL.Query().Get("app_id")
	res := &github.ListCheckRunsResults{}
	for _, run := range rp.checkRuns {
		if run.GetHeadSHA() == ref && (name == "" || run.GetName() == name) &&
			(app == "" || app == strconv.FormatInt(run.GetApp().GetID(), 10)) {
			res.CheckRuns = append(res.CheckRuns, run)
		}
	}
	res.Total = github.Int(len(res.CheckRuns))
	writeJSON(w, http.StatusOK, res)
}
