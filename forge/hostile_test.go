// SPDX-License-Identifier: GPL-2.0-only

package forge

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lockbot/forge/fakegithub"
	"lockbot/forge/store"
)

// Unsigned bodies are read a few at a time (B4): with every slot held by
// a sender that stalls mid-body, the other deliveries are answered 503 at
// once, not read; a Content-Length over the bound is 413 without a slot;
// the stalled ones end 401. Before, all 40 bodies were read at once
// (40 x 25 MiB, doubled by io.ReadAll, was 2 GB).
func TestWebhookBodiesReadAFewAtATime(t *testing.T) {
	const (
		slots   = 4
		senders = 40
		maxBody = 1 << 20
	)
	h := newHarness(t, boltStore(t), func(c *Config) {
		c.MaxBody, c.MaxInflight, c.slotWait = maxBody, slots, 200*time.Millisecond
	})
	addr := strings.TrimPrefix(h.url, "http://")
	release := make(chan struct{})
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	codes := make(chan int, senders)
	for i := range senders {
		go func() {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				codes <- -1
				return
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST /webhook HTTP/1.1\r\nHost: lockbot\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"+
				"X-GitHub-Event: pull_request\r\nX-GitHub-Delivery: bogus-%d\r\nX-Hub-Signature-256: sha256=%s\r\n\r\n",
				maxBody, i, strings.Repeat("00", 32))
			conn.Write(bytes.Repeat([]byte("A"), 1024))
			go func() {
				<-release
				conn.Write(bytes.Repeat([]byte("A"), maxBody-1024))
			}()
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				codes <- -1
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	count := map[int]int{}
	deadline := time.After(10 * time.Second)
	for range senders - slots {
		select {
		case c := <-codes:
			count[c]++
		case <-deadline:
			t.Fatalf("answers while %d senders stall: %v; want %d answered 503 and %d read", senders, count, senders-slots, slots)
		}
	}
	if count[http.StatusServiceUnavailable] != senders-slots {
		t.Errorf("answers while the slots are held: %v, want %d x 503", count, senders-slots)
	}
	// Too large is told from the header, slots or not.
	big, _ := http.NewRequest(http.MethodPost, h.url+"/webhook", bytes.NewReader(make([]byte, maxBody+1)))
	big.Header.Set("Content-Type", "application/json")
	big.Header.Set("X-GitHub-Event", "pull_request")
	big.Header.Set("X-GitHub-Delivery", "big")
	big.Header.Set("X-Hub-Signature-256", fakegithub.Sign(h.fake.WebhookSecret, make([]byte, maxBody+1)))
	if resp, err := http.DefaultClient.Do(big); err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("over the bound while the slots are held: %v %v, want 413", resp, err)
	} else {
		resp.Body.Close()
	}

	close(release)
	released = true
	for range slots {
		select {
		case c := <-codes:
			count[c]++
		case <-time.After(10 * time.Second):
			t.Fatalf("the stalled senders were not answered: %v", count)
		}
	}
	if count[http.StatusUnauthorized] != slots {
		t.Errorf("answers: %v, want the %d read answered 401", count, slots)
	}
	if v := h.metric(`lockbot_webhook_deliveries_total{event="pull_request",outcome="busy"}`); v != fmt.Sprint(senders-slots) {
		t.Errorf("busy metric %q", v)
	}

	// The slots are back: a signed delivery is taken.
	if _, err := h.fake.OpenPR(owner, repo, 1, h.base, patch(t, "review/spinlock-in-bitlock.patch")); err != nil {
		t.Fatal(err)
	}
	h.done(h.deliver("pull_request", h.fake.PullRequestEvent("opened", owner, repo, 1), http.StatusAccepted), store.Done)
	// A body with no length (chunked) is bounded as it is read.
	chunked, _ := http.NewRequest(http.MethodPost, h.url+"/webhook", io.MultiReader(bytes.NewReader(make([]byte, maxBody)), strings.NewReader("x")))
	chunked.Header.Set("Content-Type", "application/json")
	chunked.Header.Set("X-GitHub-Event", "pull_request")
	chunked.Header.Set("X-GitHub-Delivery", "chunked")
	chunked.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("00", 32))
	if resp, err := http.DefaultClient.Do(chunked); err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked body over the bound: %v %v, want 413", resp, err)
	} else {
		resp.Body.Close()
	}
}

// readBody reads a body of known length with one allocation, into the
// slot's buffer when it is large enough, grows a kept buffer by doubling
// (not a byte at a time), and never past the bound.
func TestReadBodyBuffer(t *testing.T) {
	const limit = 1 << 20
	data := bytes.Repeat([]byte("x"), 300<<10)
	got, err := readBody(bytes.NewReader(data), int64(len(data)), limit, nil)
	if err != nil || !bytes.Equal(got, data) || cap(got) != len(data) {
		t.Fatalf("known length: %d bytes, cap %d, %v", len(got), cap(got), err)
	}
	again, err := readBody(bytes.NewReader(data[:1000]), 1000, limit, got)
	if err != nil || !bytes.Equal(again, data[:1000]) || &again[0] != &got[0] {
		t.Errorf("a smaller body: %d bytes, its own buffer %v, %v", len(again), &again[0] != &got[0], err)
	}
	longer, err := readBody(bytes.NewReader(append(data, 'y')), int64(len(data)+1), limit, got)
	if err != nil || len(longer) != len(data)+1 || cap(longer) != 2*len(data) {
		t.Errorf("a longer body: %d bytes, cap %d, %v; want the buffer doubled", len(longer), cap(longer), err)
	}
	// io.MultiReader hides the length, as a chunked body has none.
	got, err = readBody(io.MultiReader(bytes.NewReader(data)), -1, limit, nil)
	if err != nil || !bytes.Equal(got, data) || cap(got) > limit+1 {
		t.Errorf("unknown length: %d bytes, cap %d, %v", len(got), cap(got), err)
	}
	var tooBig *http.MaxBytesError
	if _, err := readBody(io.MultiReader(bytes.NewReader(data)), -1, int64(len(data)-1), nil); !errors.As(err, &tooBig) {
		t.Errorf("unknown length over the bound: %v", err)
	}
	if _, err := readBody(bytes.NewReader(data), int64(len(data)), int64(len(data)-1), nil); !errors.As(err, &tooBig) {
		t.Errorf("known length over the bound: %v", err)
	}
}

// A signed delivery replayed under new delivery IDs queues nothing (B13):
// its job is done, and a push to the same head carries nothing new.
// Before, each replay ran a job of its own: 5 jobs, 55 API requests.
func TestReplayedDeliveryQueuesNothing(t *testing.T) {
	h := newHarness(t, boltStore(t), nil)
	head, d := h.open(1, patch(t, "review/spinlock-in-bitlock.patch"))
	h.done(d, store.Done)
	before := len(h.fake.Requests())
	ev := h.fake.PullRequestEvent("opened", owner, repo, 1)
	for i := range 5 {
		id := fmt.Sprintf("replay-%d", i)
		h.deliverID(id, "pull_request", ev, http.StatusAccepted)
		if jobs, _ := h.st.Jobs(context.Background(), id); len(jobs) != 0 {
			t.Errorf("replay %d queued %d jobs", i, len(jobs))
		}
	}
	time.Sleep(5 * h.cfg.Poll) // for workers to claim what might be queued
	if n := len(h.fake.Requests()) - before; n != 0 {
		t.Errorf("the replays cost %d API requests", n)
	}
	if v := h.metric(`lockbot_webhook_deliveries_total{event="pull_request",outcome="repeat"}`); v != "5" {
		t.Errorf("repeat metric %q, want 5", v)
	}
	// A person's "Re-run" still reviews it again, in a new check run.
	h.done(h.deliver("check_run", h.fake.CheckRunRerequested(owner, repo, 1), http.StatusAccepted), store.Done)
	runs, _ := h.fake.CheckRuns(owner, repo)
	if len(runs) != 2 || runs[1].GetHeadSHA() != head || runs[1].GetConclusion() != "failure" {
		t.Errorf("check runs after a re-run: %+v", runs)
	}
	if pr := h.fake.PR(owner, repo, 1); len(pr.Reviews) != 1 {
		t.Errorf("%d reviews, want 1", len(pr.Reviews))
	}
}

// bare is the App on a fake GitHub holding PR 1 (the bundled patch),
// with no workers: the test claims and runs the jobs.
type bare struct {
	srv  *Server
	fake *fakegithub.Server
	st   store.Store
	head string
}

func newBare(t *testing.T, edit func(*Config)) *bare {
	t.Helper()
	fake := fakegithub.New()
	t.Cleanup(fake.Close)
	base := fake.AddRepo(owner, repo, inst, readTree(t, "../testdata/review/tree"))
	head, err := fake.OpenPR(owner, repo, 1, base, patch(t, "review/spinlock-in-bitlock.patch"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenBolt(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := Config{AppID: fake.AppID, PrivateKey: fake.KeyPEM(), WebhookSecret: fake.WebhookSecret, APIURL: fake.URL,
		Store: st, KB: testKB, Log: slog.New(slog.NewTextHandler(testWriter{t}, nil))}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &bare{srv: srv, fake: fake, st: st, head: head}
}

// claim queues a job for PR 1 and claims it n times, each after the last
// claim's lease ran out, as successive servers dying with it would.
func (b *bare) claim(t *testing.T, n int) *store.Job {
	t.Helper()
	ctx := context.Background()
	if _, err := b.st.Enqueue(ctx, store.Delivery{ID: "d", Event: "pull_request", Received: time.Now()},
		[]store.Job{{Installation: inst, Owner: owner, Repo: repo, Number: 1, HeadSHA: b.head, Reason: "pull_request.opened"}}); err != nil {
		t.Fatal(err)
	}
	var j *store.Job
	for i := range n {
		var err error
		j, err = b.st.Claim(ctx, fmt.Sprintf("w%d", i), time.Now().Add(time.Duration(i)*time.Hour), time.Minute)
		if err != nil || j == nil {
			t.Fatalf("claim %d: %v %v", i, j, err)
		}
	}
	return j
}

// startCheck makes the job's check run in progress, as its first attempt
// did.
func (b *bare) startCheck(t *testing.T, ctx context.Context, j *store.Job) {
	t.Helper()
	if _, err := b.srv.startCheck(ctx, b.srv.apps.installation(inst), j); err != nil {
		t.Fatal(err)
	}
}

// ended checks that the job failed with a reason, and that its one
// check run is completed, neutral, saying why.
func (b *bare) ended(t *testing.T, id int64, why string) {
	t.Helper()
	j, err := b.st.Job(context.Background(), id)
	if err != nil || j.State != store.Failed || strings.TrimSpace(j.Error) == "" || strings.HasSuffix(j.Error, ": ") {
		t.Errorf("job %+v %v: want failed with a reason", j, err)
	}
	runs, _ := b.fake.CheckRuns(owner, repo)
	if len(runs) != 1 {
		t.Fatalf("%d check runs, want 1", len(runs))
	}
	r := runs[0]
	if r.GetStatus() != "completed" || r.GetConclusion() != "neutral" || r.GetOutput().GetTitle() != "Not reviewed" ||
		!strings.Contains(r.GetOutput().GetSummary(), why) {
		t.Errorf("check run %s %s %q: %q; want completed, neutral, Not reviewed, saying %q", r.GetStatus(), r.GetConclusion(),
			r.GetOutput().GetTitle(), r.GetOutput().GetSummary(), why)
	}
}

// A job whose attempts all died with the server (B1: a pull request that
// crashes it) is given up with a reason, and the check run its first
// attempt left in progress is completed saying why. Before, the job's
// error was "gave up after 5 attempts: " and the run stayed in progress.
func TestJobGivenUpCompletesItsCheckRun(t *testing.T) {
	b := newBare(t, nil)
	j := b.claim(t, 6)
	b.startCheck(t, context.Background(), j)
	b.srv.runJob(context.Background(), j.LeaseOwner, j, b.srv.process)
	b.ended(t, j.ID, "gave up after 5 attempts: none finished")
	if pr := b.fake.PR(owner, repo, 1); len(pr.Reviews) != 0 {
		t.Errorf("%d reviews of a job given up", len(pr.Reviews))
	}
}

// A job that panics after its check run started completes it; the
// panic's text, the pull request's maybe, mentions no one.
func TestPanickingJobCompletesItsCheckRun(t *testing.T) {
	b := newBare(t, nil)
	j := b.claim(t, 1)
	b.srv.runJob(context.Background(), j.LeaseOwner, j, func(ctx context.Context, j *store.Job, _ *slog.Logger) (string, string, error) {
		b.startCheck(t, ctx, j)
		panic("no such file @torvalds")
	})
	b.ended(t, j.ID, "a bug: panic: no such file @\u200btorvalds")
	if got, _ := b.st.Job(context.Background(), j.ID); !strings.HasPrefix(got.Error, "panic: ") {
		t.Errorf("job error %q, want the panic", got.Error)
	}
}

// The last attempt failing, on an error with no message even, ends the
// job with a reason; with no check run made yet, one is made to say so.
func TestLastAttemptFailingSaysWhy(t *testing.T) {
	b := newBare(t, nil)
	j := b.claim(t, 5)
	b.srv.runJob(context.Background(), j.LeaseOwner, j, func(context.Context, *store.Job, *slog.Logger) (string, string, error) {
		return "", "", errors.New("")
	})
	b.ended(t, j.ID, "gave up after 5 attempts: an error with no message")
}

// A review that comes back with its context's deadline (wrapped, as
// review.Check returns it) is the job timeout: not retried, and the check
// run says the review took too long. Before, it was retried, five times
// the timeout in all, the run in progress meanwhile.
func TestReviewCutByTheJobTimeout(t *testing.T) {
	b := newBare(t, func(c *Config) { c.JobTimeout = 300 * time.Millisecond })
	j := b.claim(t, 1)
	b.srv.runJob(context.Background(), j.LeaseOwner, j, func(ctx context.Context, j *store.Job, _ *slog.Logger) (string, string, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("the job's context has no deadline")
		}
		b.startCheck(t, ctx, j)
		<-ctx.Done()
		return "", "", fmt.Errorf("reviewing: %w", ctx.Err())
	})
	b.ended(t, j.ID, "the review took longer than 300ms")
	if got, _ := b.st.Job(context.Background(), j.ID); got.Attempts != 1 || got.Error != "not reviewed: the review took longer than 300ms" {
		t.Errorf("job %+v: want failed on its first attempt, not reviewed", got)
	}
}

// The same through the whole server: the review stalls reading a header
// the patched file includes, the job timeout cuts it, and the job ends
// at once with its check run saying so.
func TestJobTimeoutEndsTheJob(t *testing.T) {
	h := newHarness(t, boltStore(t), func(c *Config) { c.JobTimeout = time.Second })
	h.fake.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/contents/drivers/bar/bar.h") {
			<-r.Context().Done()
			return true
		}
		return false
	}
	_, d := h.open(1, patch(t, "review/spinlock-in-bitlock.patch"))
	j := h.done(d, store.Failed)
	if j.Attempts != 1 || j.Error != "not reviewed: the review took longer than 1s" {
		t.Errorf("job %+v: want failed on its first attempt, not reviewed", j)
	}
	runs, _ := h.fake.CheckRuns(owner, repo)
	if len(runs) != 1 || runs[0].GetStatus() != "completed" || runs[0].GetConclusion() != "neutral" ||
		runs[0].GetOutput().GetSummary() != "the review took longer than 1s" {
		t.Errorf("check runs %+v", runs)
	}
}

// oddName is a file name a pull request may carry that would mention a
// user, show an image and start a heading if quoted as it is (B12).
const oddName = "drivers/bar/a @torvalds ![t](http:evil.example/t.png) # H.c"

func openOddName(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, boltStore(t), nil)
	p := patch(t, "review/spinlock-in-bitlock.patch")
	p += fmt.Sprintf("diff --git a/%s b/%s\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ b/%s\n@@ -0,0 +1 @@\n+int x;\n",
		oddName, oddName, oddName)
	_, d := h.open(1, p)
	h.done(d, store.Done)
	return h
}

// neutralised checks that text quotes oddName with no mention, image or
// heading left in it.
func neutralised(t *testing.T, what, text string) {
	t.Helper()
	if !strings.Contains(text, "torvalds") {
		t.Fatalf("%s does not quote the file name:\n%s", what, text)
	}
	for _, bad := range []string{"@torvalds", "![t](", " # H"} {
		if strings.Contains(text, bad) {
			t.Errorf("%s holds %q:\n%s", what, bad, text)
		}
	}
}

// The check run's summary quotes a pull request's file names escaped.
func TestCheckRunSummaryNeutralisesNames(t *testing.T) {
	h := openOddName(t)
	runs, _ := h.fake.CheckRuns(owner, repo)
	if len(runs) != 1 {
		t.Fatalf("%d check runs", len(runs))
	}
	neutralised(t, "the check run's summary", runs[0].GetOutput().GetSummary())
}

// The review's body does too. It needs comment.ghEscape to break "@"
// (see the report of the hardening change): until then it fails.
func TestReviewBodyNeutralisesNames(t *testing.T) {
	h := openOddName(t)
	pr := h.fake.PR(owner, repo, 1)
	if len(pr.Reviews) != 1 {
		t.Fatalf("%d reviews", len(pr.Reviews))
	}
	neutralised(t, "the review's body", pr.Reviews[0].GetBody())
}
