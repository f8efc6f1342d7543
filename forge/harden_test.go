// SPDX-License-Identifier: GPL-2.0-only

package forge

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"lockbot/comment"
	"lockbot/forge/fakegithub"
	"lockbot/forge/store"
	"lockbot/review"
)

// A delivery signed only with X-Hub-Signature (HMAC-SHA1), which
// ValidatePayload alone would take, is refused: X-Hub-Signature-256 it is.
func TestWebhookNeedsSHA256Signature(t *testing.T) {
	h := newHarness(t, boltStore(t), nil)
	if _, err := h.fake.OpenPR(owner, repo, 1, h.base, patch(t, "review/spinlock-in-bitlock.patch")); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(h.fake.PullRequestEvent("opened", owner, repo, 1))
	sign := func(hdr, sig string) int {
		req, _ := http.NewRequest(http.MethodPost, h.url+"/webhook", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "pull_request")
		req.Header.Set("X-GitHub-Delivery", "sha1-only")
		req.Header.Set(hdr, sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// The HMAC is right; only its hash is not the one asked for.
	sha256sig := fakegithub.Sign(h.fake.WebhookSecret, body)
	if code := sign(github.SHA1SignatureHeader, hmacSHA1(h.fake.WebhookSecret, body)); code != http.StatusUnauthorized {
		t.Errorf("X-Hub-Signature only: %d, want 401", code)
	}
	if jobs, _ := h.st.Jobs(context.Background(), "sha1-only"); len(jobs) != 0 {
		t.Errorf("queued %d jobs", len(jobs))
	}
	if code := sign(github.SHA256SignatureHeader, sha256sig); code != http.StatusAccepted {
		t.Errorf("X-Hub-Signature-256: %d, want 202", code)
	}
}

// GitHub redelivers an old delivery with the same X-GitHub-Delivery: a
// "suspend" sent again after the "unsuspend" must not stop the reviews.
func TestRedeliveredInstallationEventChangesNothing(t *testing.T) {
	h := newHarness(t, boltStore(t), nil)
	ev := func(action string) *github.InstallationEvent {
		return &github.InstallationEvent{Action: github.String(action),
			Installation: &github.Installation{ID: github.Int64(inst), Account: &github.User{Login: github.String(owner)}}}
	}
	h.deliverID("suspend-1", "installation", ev("suspend"), http.StatusAccepted)
	h.deliverID("unsuspend-1", "installation", ev("unsuspend"), http.StatusAccepted)
	h.deliverID("suspend-1", "installation", ev("suspend"), http.StatusOK)
	if st, _ := h.st.InstallationState(context.Background(), inst); st != store.Active {
		t.Fatalf("installation %s after a redelivered suspend, want active", st)
	}
	_, d := h.open(1, patch(t, "review/spinlock-in-bitlock.patch"))
	h.done(d, store.Done)
	if pr := h.fake.PR(owner, repo, 1); len(pr.Reviews) != 1 {
		t.Errorf("%d reviews, want 1", len(pr.Reviews))
	}
}

// A 429 with a Retry-After past what the server waits in place is a rate
// limit too (go-github knows only the 403 kind): the job goes back in the
// queue until then, without counting an attempt.
func TestLong429RateLimitRequeues(t *testing.T) {
	h := newHarness(t, boltStore(t), func(c *Config) { c.MaxRateWait = time.Second })
	h.fake.TooManyRequests(1, 600, func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/pulls/1") })
	start := time.Now()
	_, d := h.open(1, patch(t, "review/spinlock-in-bitlock.patch"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		jobs, _ := h.st.Jobs(context.Background(), d)
		if len(jobs) == 1 && jobs[0].State == store.Queued && jobs[0].Error != "" {
			j := jobs[0]
			if j.NotBefore.Before(start.Add(599*time.Second)) || j.Attempts != 0 {
				t.Errorf("requeued job: not before %v from start, attempts %d, want 600s and 0", j.NotBefore.Sub(start).Round(time.Second), j.Attempts)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not requeued: %+v", jobs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Two jobs of one pull request at once (the push's, and a reopen or a
// "Re-run" of the same head) post one review: the second waits for the
// first and finds its comment.
func TestConcurrentJobsOfOnePRPostOnce(t *testing.T) {
	h := newHarness(t, boltStore(t), func(c *Config) { c.Workers = 2 })
	// The first job to list the comments waits there for the second, up
	// to a second and a half: jobs that run together both get there
	// before either posts.
	var mu sync.Mutex
	arrived := 0
	both := make(chan struct{})
	h.fake.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/pulls/1/comments") {
			return false
		}
		mu.Lock()
		arrived++
		if arrived == 2 {
			close(both)
		}
		first := arrived == 1
		mu.Unlock()
		if first {
			select {
			case <-both:
			case <-time.After(1500 * time.Millisecond):
			}
		}
		return false
	}
	head, err := h.fake.OpenPR(owner, repo, 1, h.base, patch(t, "review/spinlock-in-bitlock.patch"))
	if err != nil {
		t.Fatal(err)
	}
	d1 := h.deliver("pull_request", h.fake.PullRequestEvent("opened", owner, repo, 1), http.StatusAccepted)
	d2 := h.deliver("pull_request", h.fake.PullRequestEvent("reopened", owner, repo, 1), http.StatusAccepted)
	h.done(d1, store.Done)
	h.done(d2, store.Done)
	pr := h.fake.PR(owner, repo, 1)
	if len(pr.Reviews) != 1 || len(pr.Comments) != 1 {
		t.Errorf("%d reviews, %d comments of head %s; want 1, 1", len(pr.Reviews), len(pr.Comments), short(head))
	}
}

// A finding that comes back after it was resolved is posted again, once:
// a run that posted it and died before recording it leaves the store
// saying "resolved", and the comment on the current head says otherwise.
func TestFindingBackAfterACrashPostedOnce(t *testing.T) {
	h := newHarness(t, boltStore(t), nil)
	_, d := h.open(1, patch(t, "review/spinlock-in-bitlock.patch"))
	h.done(d, store.Done)
	_, d = h.push(1, patch(t, "forge/fixed.patch"))
	h.done(d, store.Done)
	ctx := context.Background()
	key := store.PR{Owner: owner, Repo: repo, Number: 1}
	resolved, _ := h.st.Posted(ctx, key)
	if len(resolved) != 1 {
		t.Fatalf("posted %+v", resolved)
	}
	// The finding comes back.
	head3, d := h.push(1, patch(t, "review/spinlock-in-bitlock.patch"))
	h.done(d, store.Done)
	pr := h.fake.PR(owner, repo, 1)
	if len(pr.Reviews) != 2 || len(pr.Comments) != 2 {
		t.Fatalf("after the finding came back: %d reviews, %d comments; want 2, 2", len(pr.Reviews), len(pr.Comments))
	}
	// As if the run had died before its SavePosted: the store still says
	// resolved. A rerun of the same head must not post it a third time.
	var back []store.Posted
	for _, p := range resolved {
		back = append(back, p)
	}
	if err := h.st.SavePosted(ctx, key, back); err != nil {
		t.Fatal(err)
	}
	ev := &github.CheckRunEvent{Action: github.String("rerequested"),
		CheckRun: &github.CheckRun{HeadSHA: &head3, Name: github.String("lockbot"), App: &github.App{ID: github.Int64(h.fake.AppID)},
			PullRequests: []*github.PullRequest{{Number: github.Int(1)}}},
		Repo:         h.fake.PullRequestEvent("opened", owner, repo, 1).Repo,
		Installation: &github.Installation{ID: github.Int64(inst)}}
	h.done(h.deliver("check_run", ev, http.StatusAccepted), store.Done)
	if pr := h.fake.PR(owner, repo, 1); len(pr.Reviews) != 2 {
		t.Errorf("the rerun posted again: %d reviews, want 2", len(pr.Reviews))
	}
	// And the fix that follows resolves the new comment, not the old one.
	head5, d := h.push(1, patch(t, "forge/fixed.patch"))
	h.done(d, store.Done)
	pr = h.fake.PR(owner, repo, 1)
	if len(pr.Comments) != 2 || !strings.HasPrefix(pr.Comments[1].GetBody(), "**Resolved** in "+short(head5)) {
		t.Errorf("the new comment is not marked resolved: %q", pr.Comments[len(pr.Comments)-1].GetBody())
	}
}

// Findings by the hundred still make one review GitHub takes: its body
// fits GitHub's bound, the rest counted and left to the check run.
func TestManyFindingsFitOneReview(t *testing.T) {
	h := newHarness(t, boltStore(t), nil)
	head, err := h.fake.OpenPR(owner, repo, 1, h.base, patch(t, "review/spinlock-in-bitlock.patch"))
	if err != nil {
		t.Fatal(err)
	}
	gh := h.srv.apps.installation(inst)
	ctx := context.Background()
	j := &store.Job{ID: 1, Installation: inst, Owner: owner, Repo: repo, Number: 1, HeadSHA: head}
	pr, _, err := gh.PullRequests.Get(ctx, owner, repo, 1)
	if err != nil {
		t.Fatal(err)
	}
	rv, err := h.srv.review(ctx, gh, j, pr, h.srv.log)
	if err != nil {
		t.Fatal(err)
	}
	if len(rv.res.Findings) != 1 {
		t.Fatalf("%d findings", len(rv.res.Findings))
	}
	orig := rv.res.Findings[0]
	rv.res.Findings = nil
	for i := 0; i < 400; i++ {
		c := *orig
		f := *orig.Finding
		f.Fingerprint = fmt.Sprintf("%016x", i)
		c.Finding = &f
		rv.res.Findings = append(rv.res.Findings, &c)
	}
	out, err := h.srv.post(ctx, gh, j, pr, rv)
	if err != nil {
		t.Fatal(err)
	}
	got := h.fake.PR(owner, repo, 1)
	if got.Rejected != 0 || len(got.Reviews) != 1 || len(got.Comments) != maxInline || out.listed != 400-maxInline {
		t.Fatalf("%d rejected, %d reviews, %d comments, %d listed; want 0, 1, %d, %d", got.Rejected, len(got.Reviews), len(got.Comments),
			out.listed, maxInline, 400-maxInline)
	}
	if body := got.Reviews[0].GetBody(); len(body) > comment.GitHubMaxBody || !strings.Contains(body, "past what one review can hold") {
		t.Errorf("review body of %d bytes", len(body))
	}
	// Every finding is recorded, so the next push repeats none.
	if posted, _ := h.st.Posted(ctx, j.PR()); len(posted) != 400 {
		t.Errorf("%d findings recorded, want 400", len(posted))
	}
}

// A job whose work panics (a bug, or input nothing checked) fails, once,
// and the server carries on.
func TestPanickingJobFails(t *testing.T) {
	fake := fakegithub.New()
	t.Cleanup(fake.Close)
	st, err := store.OpenBolt(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := New(Config{AppID: fake.AppID, PrivateKey: fake.KeyPEM(), WebhookSecret: fake.WebhookSecret, APIURL: fake.URL,
		Store: st, KB: testKB, Log: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := st.Enqueue(ctx, store.Delivery{ID: "d", Event: "pull_request", Received: time.Now()},
		[]store.Job{{Installation: inst, Owner: owner, Repo: repo, Number: 1, HeadSHA: strings.Repeat("a", 40)}}); err != nil {
		t.Fatal(err)
	}
	j, err := st.Claim(ctx, "w", time.Now(), time.Minute)
	if err != nil || j == nil {
		t.Fatalf("claim: %v %v", j, err)
	}
	srv.runJob(ctx, "w", j, func(context.Context, *store.Job, *slog.Logger) (string, string, error) {
		panic("boom")
	})
	got, err := st.Job(ctx, j.ID)
	if err != nil || got.State != store.Failed || !strings.HasPrefix(got.Error, "panic: ") {
		t.Errorf("job %+v %v, want failed with the panic", got, err)
	}
}

func hmacSHA1(secret, body []byte) string {
	m := hmac.New(sha1.New, secret)
	m.Write(body)
	return "sha1=" + hex.EncodeToString(m.Sum(nil))
}

// Notes by the hundred (files not reviewed) still make a check-run
// summary GitHub takes, or the run would stay in progress.
func TestCheckRunSummaryFitsGitHubsBound(t *testing.T) {
	h := newHarness(t, boltStore(t), nil)
	head, err := h.fake.OpenPR(owner, repo, 1, h.base, patch(t, "review/spinlock-in-bitlock.patch"))
	if err != nil {
		t.Fatal(err)
	}
	gh := h.srv.apps.installation(inst)
	ctx := context.Background()
	j := &store.Job{ID: 1, Installation: inst, Owner: owner, Repo: repo, Number: 1, HeadSHA: head}
	run, err := h.srv.startCheck(ctx, gh, j)
	if err != nil {
		t.Fatal(err)
	}
	rv := &reviewed{res: &review.Result{}, base: "master at " + short(h.base)}
	for i := 0; i < 600; i++ {
		rv.notes = append(rv.notes, fmt.Sprintf("drivers/staging/some/long/path/file%03d.c: its diff does not apply to the merge base (%s)", i, strings.Repeat("x", 80)))
	}
	if err := h.srv.finishCheck(ctx, gh, j, run, rv, nil); err != nil {
		t.Fatal(err)
	}
	runs, _ := h.fake.CheckRuns(owner, repo)
	sum := runs[0].GetOutput().GetSummary()
	if runs[0].GetConclusion() != "success" || len(sum) > maxSummary || !strings.Contains(sum, "more files not reviewed") {
		t.Errorf("check run %s, summary of %d bytes ending %q", runs[0].GetConclusion(), len(sum), sum[max(0, len(sum)-80):])
	}
}

// A files listing whose pages never end (not GitHub's, which stops at
// 3000 files) is an error, not a job that runs forever.
func TestEndlessFilePagesStop(t *testing.T) {
	h := newHarness(t, boltStore(t), nil)
	if _, err := h.fake.OpenPR(owner, repo, 1, h.base, patch(t, "review/spinlock-in-bitlock.patch")); err != nil {
		t.Fatal(err)
	}
	pages := 0
	h.fake.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/pulls/1/files") {
			return false
		}
		pages++
		w.Header().Set("Link", fmt.Sprintf(`<%s%s?page=%d>; rel="next"`, h.fake.URL, r.URL.Path, pages+1))
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("[]"))
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := listFiles(ctx, h.srv.apps.installation(inst), owner, repo, 1, limits{300, 20000})
	if err == nil || ctx.Err() != nil || pages > maxPages+1 {
		t.Errorf("after %d pages: %v", pages, err)
	}
}

// hungStore is a store whose Enqueue waits for its context to end, as a
// PostgreSQL server gone quiet does.
type hungStore struct{ store.Store }

func (hungStore) Enqueue(ctx context.Context, _ store.Delivery, _ []store.Job) (store.Enqueued, error) {
	<-ctx.Done()
	return store.Enqueued{}, ctx.Err()
}

// A hung store does not hold a delivery past GitHub's patience (10 s):
// it is refused in time, and GitHub may redeliver it.
func TestHungStoreRefusesInTime(t *testing.T) {
	h := newHarness(t, hungStore{boltStore(t)}, nil)
	if _, err := h.fake.OpenPR(owner, repo, 1, h.base, patch(t, "review/spinlock-in-bitlock.patch")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	done := make(chan int, 1)
	go func() {
		resp, err := h.fake.Deliver(h.url+"/webhook", "pull_request", "d", h.fake.PullRequestEvent("opened", owner, repo, 1), h.fake.WebhookSecret)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	select {
	case code := <-done:
		if code != http.StatusServiceUnavailable || time.Since(start) > 9*time.Second {
			t.Errorf("%d after %v, want 503 within 9s", code, time.Since(start))
		}
	case <-time.After(9 * time.Second):
		t.Errorf("no answer after 9s")
	}
}
