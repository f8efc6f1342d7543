// SPDX-License-Identifier: GPL-2.0-only

package forge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
	lru "github.com/hashicorp/golang-lru/v2"
)

// apps makes GitHub clients: one authenticated as the App (a JWT signed
// with its key) and one per installation (its installation token,
// refreshed by ghinstallation before it expires).
type apps struct {
	api     *url.URL
	base    http.RoundTripper // rate limits, then the network
	atr     *ghinstallation.AppsTransport
	appID   int64
	timeout time.Duration // of a request, rate-limit waits included

	mu      sync.Mutex
	clients map[int64]*github.Client
	bot     string // the App's user, "slug[bot]", once known
}

func newApps(apiURL string, appID int64, key []byte, base http.RoundTripper, timeout time.Duration) (*apps, error) {
	u, err := url.Parse(strings.TrimSuffix(apiURL, "/") + "/")
	if err != nil {
		return nil, fmt.Errorf("GitHub API URL %q: %w", apiURL, err)
	}
	atr, err := ghinstallation.NewAppsTransport(base, appID, key)
	if err != nil {
		return nil, fmt.Errorf("the App's private key: %w", err)
	}
	atr.BaseURL = strings.TrimSuffix(u.String(), "/")
	return &apps{api: u, base: base, atr: atr, appID: appID, timeout: timeout, clients: map[int64]*github.Client{}}, nil
}

func (a *apps) client(rt http.RoundTripper) *github.Client {
	c := github.NewClient(&http.Client{Transport: rt, Timeout: a.timeout})
	c.BaseURL = a.api
	return c
}

// installation is the client acting for an installation.
func (a *apps) installation(id int64) *github.Client {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.clients[id]; ok {
		return c
	}
	tr := ghinstallation.NewFromAppsTransport(a.atr, id)
	tr.BaseURL = a.atr.BaseURL
	c := a.client(tr)
	a.clients[id] = c
	return c
}

// forget drops an installation's client and token: after its permissions
// change, or when it is removed.
func (a *apps) forget(id int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.clients, id)
}

// botLogin is the user the App posts as; comments by anyone else are not
// lockbot's, whatever markers they carry.
func (a *apps) botLogin(ctx context.Context) (string, error) {
	a.mu.Lock()
	bot := a.bot
	a.mu.Unlock()
	if bot != "" {
		return bot, nil
	}
	app, _, err := a.client(a.atr).Apps.Get(ctx, "")
	if err != nil {
		return "", fmt.Errorf("reading the App: %w", err)
	}
	if app.GetSlug() == "" {
		return "", errors.New("reading the App: no slug")
	}
	bot = app.GetSlug() + "[bot]"
	a.mu.Lock()
	a.bot = bot
	a.mu.Unlock()
	return bot, nil
}

// rateLimits is the transport under every client. On a rate-limited
// answer (403 or 429 with Retry-After, or with X-RateLimit-Remaining: 0)
// it waits as told and sends the request again, up to maxWait in all and
// three tries; past that it hands the answer up, go-github turns it into
// a rate-limit error, and the worker puts the job back in the queue for
// when the limit lifts. The bound is on the total: waits of maxWait each,
// one after another, would hold the worker and run into the client's
// timeout, failing the request as a timeout.
type rateLimits struct {
	base    http.RoundTripper
	maxWait time.Duration
	m       *metrics
}

func (t *rateLimits) RoundTrip(req *http.Request) (*http.Response, error) {
	var waited time.Duration
	for try := 1; ; try++ {
		r := req
		if try > 1 {
			r = req.Clone(req.Context())
			if req.Body != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				r.Body = body
			}
		}
		resp, err := t.base.RoundTrip(r)
		if err != nil {
			t.m.apiErrors.WithLabelValues("transport").Inc()
			return nil, err
		}
		if resp.StatusCode < 400 {
			return resp, nil
		}
		t.m.apiErrors.WithLabelValues(strconv.Itoa(resp.StatusCode)).Inc()
		wait, kind := limitWait(resp, time.Now())
		if kind == "" {
			return resp, nil
		}
		t.m.rateLimited.WithLabelValues(kind).Inc()
		// A body already sent cannot be sent again without GetBody.
		if waited+wait > t.maxWait || try >= 3 || (req.Body != nil && req.GetBody == nil) {
			return resp, nil
		}
		waited += wait
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		if err := sleepCtx(req.Context(), wait); err != nil {
			return nil, err
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// limitWait tells a rate-limited answer from a refusal, and how long
// GitHub asks to wait: Retry-After (seconds or a date) first, then the
// primary limit's reset time; a secondary limit without either means a
// minute, as GitHub's documentation says. kind is "" for an answer that
// is not a rate limit, else "primary" or "secondary". The body is kept.
func limitWait(resp *http.Response, now time.Time) (wait time.Duration, kind string) {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return 0, ""
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if secs, err := strconv.Atoi(ra); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second, "secondary"
		}
		if at, err := http.ParseTime(ra); err == nil {
			return max(0, at.Sub(now)), "secondary"
		}
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return max(0, time.Unix(reset, 0).Sub(now)), "primary"
		}
	}
	if resp.Body == nil {
		return 0, ""
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if bytes.Contains(bytes.ToLower(body), []byte("secondary rate limit")) {
		return time.Minute, "secondary"
	}
	return 0, ""
}

// retryAt is when a job stopped by a rate limit may run again; ok is false
// for other errors.
func retryAt(err error, now time.Time) (time.Time, bool) {
	var ab *github.AbuseRateLimitError
	if errors.As(err, &ab) {
		if ab.RetryAfter != nil {
			return now.Add(*ab.RetryAfter), true
		}
		return now.Add(time.Minute), true
	}
	var rl *github.RateLimitError
	if errors.As(err, &rl) {
		if t := rl.Rate.Reset.Time; t.After(now) {
			return t, true
		}
		return now.Add(time.Minute), true
	}
	// go-github knows a secondary limit only as a 403 linking to the
	// documentation's section; a 429, or a 403 saying so otherwise, is
	// a limit all the same, as the transport read it.
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		if wait, kind := limitWait(er.Response, now); kind != "" {
			return now.Add(wait), true
		}
		if strings.Contains(strings.ToLower(er.Message), "secondary rate limit") {
			return now.Add(time.Minute), true
		}
	}
	return time.Time{}, false
}

// blobCache keeps files read through the API, by repository, commit and
// path (a commit's files never change), bounded in total bytes. A file
// found absent is remembered too, as nil.
type blobCache struct {
	max   int64
	bytes atomic.Int64
	c     *lru.Cache[string, []byte]
}

func newBlobCache(maxBytes int64) *blobCache {
	bc := &blobCache{max: maxBytes}
	// The count bound only caps bookkeeping; bytes are what matter.
	c, err := lru.NewWithEvict[string, []byte](1<<20, func(_ string, v []byte) { bc.bytes.Add(-int64(len(v))) })
	if err != nil {
		panic(err) // only for a non-positive size
	}
	bc.c = c
	return bc
}

func (bc *blobCache) get(key string) ([]byte, bool) { return bc.c.Get(key) }

func (bc *blobCache) add(key string, data []byte) {
	if int64(len(data)) > bc.max/4 {
		return // one file must not flush the rest
	}
	// Count the bytes before adding: an Add that evicts subtracts.
	bc.bytes.Add(int64(len(data)))
	if found, _ := bc.c.ContainsOrAdd(key, data); found {
		bc.bytes.Add(-int64(len(data)))
		return
	}
	for bc.bytes.Load() > bc.max {
		if _, _, ok := bc.c.RemoveOldest(); !ok {
			break
		}
	}
}

// apiTree is a commit's files read through the contents API: the base a
// pull request's diff applies to, and the headers its files include.
type apiTree struct {
	ctx         context.Context
	gh          *github.Client
	owner, repo string
	ref         string // a commit SHA
	cache       *blobCache
	maxBytes    int64
	reads       *atomic.Int64 // API reads, for the job's log
}

var errTooLarge = errors.New("file too large")

// ReadFile implements diff.Tree.
func (t *apiTree) ReadFile(path string) ([]byte, error) {
	if !fs.ValidPath(path) || path == "." {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fs.ErrInvalid}
	}
	key := t.owner + "/" + t.repo + "@" + t.ref + ":" + path
	if data, ok := t.cache.get(key); ok {
		if data == nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: fs.ErrNotExist}
		}
		return data, nil
	}
	var segs []string
	for _, s := range strings.Split(path, "/") {
		segs = append(segs, url.PathEscape(s))
	}
	u := fmt.Sprintf("repos/%s/%s/contents/%s?ref=%s", url.PathEscape(t.owner), url.PathEscape(t.repo),
		strings.Join(segs, "/"), url.QueryEscape(t.ref))
	req, err := t.gh.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/vnd.github.raw")
	if t.reads != nil {
		t.reads.Add(1)
	}
	buf := &boundedBuffer{max: t.maxBytes}
	resp, err := t.gh.Do(t.ctx, req, buf)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			t.cache.add(key, nil)
			return nil, &fs.PathError{Op: "read", Path: path, Err: fs.ErrNotExist}
		}
		if errors.Is(err, errTooLarge) {
			return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: over %d bytes", errTooLarge, t.maxBytes)}
		}
		return nil, fmt.Errorf("reading %s at %s: %w", path, short(t.ref), err)
	}
	data := buf.Bytes()
	if data == nil {
		data = []byte{}
	}
	t.cache.add(key, data)
	return data, nil
}

// boundedBuffer refuses to grow past max. It has no ReadFrom, so that
// io.Copy goes through Write.
type boundedBuffer struct {
	buf bytes.Buffer
	max int64
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if int64(b.buf.Len()+len(p)) > b.max {
		return 0, errTooLarge
	}
	return b.buf.Write(p)
}

func (b *boundedBuffer) Bytes() []byte { return b.buf.Bytes() }

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
