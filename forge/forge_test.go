// SPDX-License-Identifier: GPL-2.0-only

package forge

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"lockbot/comment"
	"lockbot/forge/fakegithub"
	"lockbot/forge/store"
	"lockbot/forge/store/pgtest"
)

// The line of drivers/bar/bar.c the bundled patch adds spin_lock() on.
const spinLine = 15

func TestPullRequestLifecycle(t *testing.T) {
	lifecycle(t, boltStore(t))
}

// The same on PostgreSQL, the store of several replicas.
func TestPullRequestLifecyclePostgres(t *testing.T) {
	st, err := store.OpenPostgres(context.Background(), pgtest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() }) // after the servers stop
	lifecycle(t, st)
}

func lifecycle(t *testing.T, st store.Store) {
	h := newHarness(t, st, nil)
	head1, d1 := h.open(1, patch(t, "review/spinlock-in-bitlock.patch"))
	h.done(d1, store.Done)

	pr := h.fake.PR(owner, repo, 1)
	if len(pr.Reviews) != 1 || len(pr.Comments) != 1 || pr.Rejected != 0 {
		t.Fatalf("opened: %d reviews, %d comments, %d rejected; want 1, 1, 0", len(pr.Reviews), len(pr.Comments), pr.Rejected)
	}
	rev, c := pr.Reviews[0], pr.Comments[0]
	if rev.GetCommitID() != head1 || !strings.HasPrefix(rev.GetBody(), "lockbot found 1 lock problem this pull request introduces (1 error) (base: master at "+h.base[:12]) {
		t.Errorf("review: commit %s body %q", rev.GetCommitID(), rev.GetBody())
	}
	if c.GetPath() != "drivers/bar/bar.c" || c.GetLine() != spinLine || c.GetSide() != "RIGHT" {
		t.Errorf("comment at %s:%d %s, want drivers/bar/bar.c:%d RIGHT", c.GetPath(), c.GetLine(), c.GetSide(), spinLine)
	}
	body := c.GetBody()
	for _, want := range []string{
		"**ERROR** `RT_SLEEPING_LOCK_IN_ATOMIC`: `spin_lock(&b->stats_lock)` in `bar_count_hit()`",
		"(" + h.fake.URL + "/kernel/linux/blob/" + head1 + "/drivers/bar/bar.c#L27) `bar_find()`: `hlist_bl_lock(h)` takes bit spinlock h",
		"**Fix:** use `raw_spinlock_t`",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("comment lacks %q:\n%s", want, body)
		}
	}
	fps := comment.GitHubMarkers(body)
	if len(fps) != 1 {
		t.Fatalf("comment markers %v", fps)
	}
	runs, anns := h.fake.CheckRuns(owner, repo)
	if len(runs) != 1 || runs[0].GetHeadSHA() != head1 || runs[0].GetConclusion() != "failure" || runs[0].GetOutput().GetTitle() != "1 error" {
		t.Fatalf("check runs %+v", runs)
	}
	if a := anns[runs[0].GetID()]; len(a) != 1 || a[0].GetPath() != "drivers/bar/bar.c" || a[0].GetStartLine() != spinLine {
		t.Errorf("annotations %+v", a)
	}
	posted, err := st.Posted(context.Background(), store.PR{Owner: owner, Repo: repo, Number: 1})
	if err != nil || len(posted) != 1 || posted[fps[0]].CommentID != c.GetID() || posted[fps[0]].Resolved {
		t.Errorf("store: posted %+v %v", posted, err)
	}

	// GitHub redelivers: acknowledged, nothing queued.
	h.deliverID(d1, "pull_request", h.fake.PullRequestEvent("opened", owner, repo, 1), http.StatusOK)
	if jobs, _ := st.Jobs(context.Background(), d1); len(jobs) != 1 {
		t.Errorf("redelivery queued again: %d jobs", len(jobs))
	}

	// A push keeping the finding posts nothing new.
	head2, d2 := h.push(1, patch(t, "forge/same-finding.patch"))
	j := h.done(d2, store.Done)
	pr = h.fake.PR(owner, repo, 1)
	if len(pr.Reviews) != 1 || len(pr.Comments) != 1 {
		t.Fatalf("after a push with the same finding: %d reviews, %d comments", len(pr.Reviews), len(pr.Comments))
	}
	if !strings.Contains(j.Error, "nothing new (1 still open, 0 resolved)") {
		t.Errorf("job note %q", j.Error)
	}
	runs, _ = h.fake.CheckRuns(owner, repo)
	if len(runs) != 2 || runs[1].GetHeadSHA() != head2 || runs[1].GetConclusion() != "failure" {
		t.Errorf("check run of the second push: %+v", runs)
	}

	// A push that fixes it marks the comment resolved.
	head3, d3 := h.push(1, patch(t, "forge/fixed.patch"))
	h.done(d3, store.Done)
	pr = h.fake.PR(owner, repo, 1)
	if len(pr.Reviews) != 1 || len(pr.Comments) != 1 {
		t.Fatalf("after the fix: %d reviews, %d comments", len(pr.Reviews), len(pr.Comments))
	}
	edited := pr.Comments[0].GetBody()
	if !comment.GitHubIsResolved(edited) || !strings.HasPrefix(edited, "**Resolved** in "+head3[:12]) || !strings.Contains(edited, body) {
		t.Errorf("fixed comment not marked resolved:\n%s", edited)
	}
	runs, _ = h.fake.CheckRuns(owner, repo)
	if last := runs[len(runs)-1]; last.GetHeadSHA() != head3 || last.GetConclusion() != "success" || last.GetOutput().GetTitle() != "No lock problems introduced" {
		t.Errorf("check run of the fix: %+v", last)
	}
	posted, _ = st.Posted(context.Background(), store.PR{Owner: owner, Repo: repo, Number: 1})
	if !posted[fps[0]].Resolved {
		t.Errorf("store: not resolved: %+v", posted)
	}
	// Once resolved, another push does not edit it again. (A push of
	// the same head again would carry nothing new, and queue nothing.)
	_, d4 := h.push(1, patch(t, "forge/fixed.patch")+newFilePatch("Documentation/bar/notes.txt"))
	h.done(d4, store.Done)
	if got := h.fake.PR(owner, repo, 1).Comments[0].GetBody(); got != edited {
		t.Errorf("resolved comment edited again")
	}
	if v := h.metric(`lockbot_findings_total{kind="inline"}`); v != "1" {
		t.Errorf("inline findings metric %q", v)
	}
	if v := h.metric(`lockbot_webhook_deliveries_total{event="pull_request",outcome="duplicate"}`); v != "1" {
		t.Errorf("duplicate deliveries metric %q", v)
	}
}

// A comment someone answered is left as it is when its finding goes.
func TestResolvedUnlessReplied(t *testing.T) {
	h := newHarness(t, boltStore(t), nil)
	_, d := h.open(1, patch(t, "review/spinlock-in-bitlock.patch"))
	h.done(d, store.Done)
	c := h.fake.PR(owner, repo, 1).Comments[0]
	h.fake.Reply(owner, repo, 1, c.GetID(), "maintainer", "The caller is fine, see the bucket lock.")
	_, d = h.push(1, patch(t, "forge/fixed.patch"))
	h.done(d, store.Done)
	if got := h.fake.PR(owner, repo, 1).Comments[0].GetBody(); got != c.GetBody() {
		t.Errorf("a replied comment was edited:\n%s", got)
	}
}

// A comment a maintainer deleted is not posted again on the next push:
// the store remembers it was said.
func TestDeletedCommentNotRepeated(t *testing.T) {
	h := newHarness(t, boltStore(t), nil)
	_, d := h.open(1, patch(t, "review/spinlock-in-bitlock.patch"))
	h.done(d, store.Done)
	h.fake.DeleteComment(owner, repo, 1, h.fake.PR(owner, repo, 1).Comments[0].GetID())
	_, d = h.push(1, patch(t, "forge/same-finding.patch"))
	h.done(d, store.Done)
	if pr := h.fake.PR(owner, repo, 1); len(pr.Reviews) != 1 || len(pr.Comments) != 0 {
		t.Errorf("after deleting the comment and pushing: %d reviews, %d comments", len(pr.Reviews), len(pr.Comments))
	}
}

func TestWebhookRefusals(t *testing.T) {
	h := newHarness(t, boltStore(t), func(c *Config) { c.MaxBody = 64 << 10 })
	if _, err := h.fake.OpenPR(owner, repo, 1, h.base, patch(t, "review/spinlock-in-bitlock.patch")); err != nil {
		t.Fatal(err)
	}
	ev := h.fake.PullRequestEvent("opened", owner, repo, 1)
	for name, secret := range map[string][]byte{"unsigned": nil, "wrong secret": []byte("guess")} {
		resp, err := h.fake.Deliver(h.url+"/webhook", "pull_request", "bad-"+name, ev, secret)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, resp.StatusCode)
		}
		if jobs, _ := h.st.Jobs(context.Background(), "bad-"+name); len(jobs) != 0 {
			t.Errorf("%s: queued %d jobs", name, len(jobs))
		}
	}
	// A body altered after signing.
	body := []byte(`{"action":"opened"}`)
	req, _ := http.NewRequest(http.MethodPost, h.url+"/webhook", bytes.NewReader(append(body, ' ')))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "pull_request")
	req.Header.Set("X-GitHub-Delivery", "tampered")
	req.Header.Set("X-Hub-Signature-256", fakegithub.Sign(h.fake.WebhookSecret, body))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("tampered body: %v %v, want 401", resp.Status, err)
	}
	// Over the size bound: refused before the signature is even checked.
	huge := map[string]string{"action": "opened", "padding": strings.Repeat("x", 100<<10)}
	resp, err := h.fake.Deliver(h.url+"/webhook", "pull_request", "huge", huge, h.fake.WebhookSecret)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("huge delivery: %d, want 413", resp.StatusCode)
	}
	// Signed but not a pull_request payload: 400, not a crash.
	h.deliver("pull_request", map[string]any{"action": "opened", "pull_request": map[string]any{"number": "x"}}, http.StatusBadRequest)
	h.deliver("pull_request", map[string]any{"action": "opened"}, http.StatusBadRequest)
	// Events the App does not act on are acknowledged and queue nothing.
	d := h.deliver("issues", map[string]any{"action": "opened"}, http.StatusAccepted)
	if jobs, _ := h.st.Jobs(context.Background(), d); len(jobs) != 0 {
		t.Errorf("issues event queued %d jobs", len(jobs))
	}
	if v := h.metric(`lockbot_webhook_deliveries_total{event="pull_request",outcome="bad_signature"}`); v != "3" {
		t.Errorf("bad signature metric %q, want 3", v)
	}
	resp, err = http.Get(h.url + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %v %v", resp, err)
	}
}

// Files come in pages; the C file is on the last one.
func TestPaginatedFiles(t *testing.T) {
	h := newHarness(t, boltStore(t), nil)
	h.fake.PageSize = 2
	var p strings.Builder
	for i := 0; i < 4; i++ {
		p.WriteString(newFilePatch("Documentation/bar/notes" + string(rune('a'+i)) + ".txt"))
	}
	p.WriteString(patch(t, "review/spinlock-in-bitlock.patch"))
	_, d := h.open(1, p.String())
	h.done(d, store.Done)
	if pr := h.fake.PR(owner, repo, 1); len(pr.Comments) != 1 || pr.Comments[0].GetLine() != spinLine {
		t.Fatalf("comments %+v", pr.Comments)
	}
	pages := 0
	for _, r := range h.fake.Requests() {
		if strings.HasSuffix(r.Path, "/pulls/1/files") {
			pages++
		}
	}
	if pages != 3 {
		t.Errorf("%d pages of files read, want 3 (5 files, 2 a page)", pages)
	}
}

func newFilePatch(name string) string {
	return "diff --git a/" + name + " b/" + name + "\nnew file mode 100644\n--- /dev/null\n+++ b/" + name + "\n@@ -0,0 +1 @@\n+notes\n"
}

// A secondary rate limit: the request waits out Retry-After and goes again.
func TestSecondaryRateLimitWaits(t *testing.T) {
	h := newHarness(t, boltStore(t), nil)
	h.fake.SecondaryLimit(2, 1, func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/pulls/1/files") })
	_, d := h.open(1, patch(t, "review/spinlock-in-bitlock.patch"))
	j := h.done(d, store.Done)
	if j.Attempts != 1 {
		t.Errorf("attempts %d, want 1: the wait happened in place", j.Attempts)
	}
	if pr := h.fake.PR(owner, repo, 1); len(pr.Reviews) != 1 {
		t.Fatalf("%d reviews", len(pr.Reviews))
	}
	var limited, ok []time.Time
	for _, r := range h.fake.Requests() {
		if strings.HasSuffix(r.Path, "/pulls/1/files") {
			if r.Status == http.StatusForbidden {
				limited = append(limited, r.At)
			} else {
				ok = append(ok, r.At)
			}
		}
	}
	if len(limited) != 2 || len(ok) != 1 {
		t.Fatalf("files requests: %d limited, %d served", len(limited), len(ok))
	}
	if gap := limited[1].Sub(limited[0]); gap < 950*time.Millisecond {
		t.Errorf("retried %v after a Retry-After of 1s", gap)
	}
	if gap := ok[0].Sub(limited[1]); gap < 950*time.Millisecond {
		t.Errorf("retried %v after a Retry-After of 1s", gap)
	}
	if v := h.metric(`lockbot_github_rate_limited_total{kind="secondary"}`); v != "2" {
		t.Errorf("rate limit metric %q", v)
	}
}

// A limit longer than the server waits in place puts the job back in the
// queue until it lifts, without counting an attempt.
func TestLongRateLimitRequeues(t *testing.T) {
	h := newHarness(t, boltStore(t), func(c *Config) { c.MaxRateWait = time.Second })
	h.fake.SecondaryLimit(1, 600, func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/pulls/1") })
	start := time.Now()
	_, d := h.open(1, patch(t, "review/spinlock-in-bitlock.patch"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		jobs, _ := h.st.Jobs(context.Background(), d)
		if len(jobs) == 1 && jobs[0].State == store.Queued && jobs[0].Error != "" {
			j := jobs[0]
			if j.NotBefore.Before(start.Add(599*time.Second)) || j.Attempts != 0 {
				t.Errorf("requeued job: not before %v (%v from start), attempts %d", j.NotBefore, j.NotBefore.Sub(start), j.Attempts)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not requeued: %+v", jobs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if pr := h.fake.PR(owner, repo, 1); len(pr.Reviews) != 0 {
		t.Errorf("posted during the rate limit")
	}
}

// The fake behaves as GitHub: one comment off the diff fails the review.
func TestFakeRejectsCommentsOutsideTheDiff(t *testing.T) {
	h := newHarness(t, boltStore(t), nil)
	head, err := h.fake.OpenPR(owner, repo, 1, h.base, patch(t, "review/spinlock-in-bitlock.patch"))
	if err != nil {
		t.Fatal(err)
	}
	gh := h.srv.apps.installation(inst)
	post := func(line int) error {
		_, _, err := gh.PullRequests.CreateReview(context.Background(), owner, repo, 1, &github.PullRequestReviewRequest{
			CommitID: &head, Event: github.String("COMMENT"), Body: github.String("b"),
			Comments: []*github.DraftReviewComment{{Path: github.String("drivers/bar/bar.c"), Line: &line, Side: github.String("RIGHT"), Body: github.String("c")}}})
		return err
	}
	// The hunk shows new lines 12-21.
	if err := post(21); err != nil {
		t.Errorf("line in the hunk: %v", err)
	}
	var er *github.ErrorResponse
	if err := post(40); err == nil || !(errors.As(err, &er) && er.Response.StatusCode == http.StatusUnprocessableEntity) {
		t.Errorf("line outside the hunk: %v, want 422", err)
	}
}

// Findings on no line of the diff go in the review body, checked
// locally, so GitHub never refuses the review; past 30 comments too.
func TestCommentsOffTheDiffAndPastTheLimitGoInTheBody(t *testing.T) {
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
	// 35 findings in the hunk and one on line 40, outside it.
	orig := rv.res.Findings[0]
	rv.res.Findings = nil
	for i := 0; i < 36; i++ {
		c := *orig
		f := *orig.Finding
		f.Fingerprint = strings.Repeat("0", 14) + string("0123456789abcdef"[i/16]) + string("0123456789abcdef"[i%16])
		if i == 0 {
			f.Line = 40
		}
		c.Finding = &f
		rv.res.Findings = append(rv.res.Findings, &c)
	}
	out, err := h.srv.post(ctx, gh, j, pr, rv)
	if err != nil {
		t.Fatal(err)
	}
	got := h.fake.PR(owner, repo, 1)
	if got.Rejected != 0 || len(got.Reviews) != 1 || len(got.Comments) != 30 {
		t.Fatalf("%d rejected, %d reviews, %d comments; want 0, 1, 30", got.Rejected, len(got.Reviews), len(got.Comments))
	}
	body := got.Reviews[0].GetBody()
	if markers := comment.GitHubMarkers(body); len(markers) != 6 || markers[0] != rv.res.Findings[0].Fingerprint {
		t.Errorf("body markers %v, want the 6 listed, the off-diff one first", markers)
	}
	if !strings.Contains(body, "30 on the lines below, 6 here.") {
		t.Errorf("body: %s", body)
	}
	if out.inline != 30 || out.listed != 6 {
		t.Errorf("posted %+v", out)
	}
	// The check run takes the 36 annotations 50 at a time: here in one
	// request; 120 take three.
	for _, n := range []int{36, 120} {
		for len(rv.res.Findings) < n {
			rv.res.Findings = append(rv.res.Findings, orig)
		}
		before := len(h.fake.Requests())
		run, err := h.srv.startCheck(ctx, gh, &store.Job{ID: 2, Owner: owner, Repo: repo, HeadSHA: head, Reason: "check_run.rerequested"})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.srv.finishCheck(ctx, gh, j, run, rv, out); err != nil {
			t.Fatal(err)
		}
		updates := 0
		for _, r := range h.fake.Requests()[before:] {
			if r.Method == http.MethodPatch && strings.Contains(r.Path, "/check-runs/") {
				updates++
			}
		}
		_, anns := h.fake.CheckRuns(owner, repo)
		if len(anns[run]) != n || updates != (n+49)/50 {
			t.Errorf("%d annotations: %d sent in %d updates", n, len(anns[run]), updates)
		}
	}
}

func TestSettingsFromTheBaseBranch(t *testing.T) {
	h := newHarness(t, boltStore(t), nil)
	// Find the finding's fingerprint, then suppress it on the base.
	_, d := h.open(1, patch(t, "review/spinlock-in-bitlock.patch"))
	h.done(d, store.Done)
	fp := comment.GitHubMarkers(h.fake.PR(owner, repo, 1).Comments[0].GetBody())[0]

	files := map[string][]byte{}
	for p, c := range h.files {
		files[p] = c
	}
	files[".lockbot.yaml"] = []byte("suppress:\n  - fingerprint: " + fp + "\n    reason: the test says so\n")
	h.base = h.fake.AddRepoCommit(owner, repo, files)
	_, d = h.open(2, patch(t, "review/spinlock-in-bitlock.patch"))
	h.done(d, store.Done)
	if pr := h.fake.PR(owner, repo, 2); len(pr.Reviews) != 0 {
		t.Errorf("suppressed finding posted: %+v", pr.Comments)
	}

	files[".lockbot.yaml"] = []byte("rules:\n  disable: [NO_SUCH_RULE]\n")
	h.base = h.fake.AddRepoCommit(owner, repo, files)
	head, d := h.open(3, patch(t, "review/spinlock-in-bitlock.patch"))
	h.done(d, store.Done)
	runs, _ := h.fake.CheckRuns(owner, repo)
	last := runs[len(runs)-1]
	if last.GetHeadSHA() != head || last.GetConclusion() != "failure" || last.GetOutput().GetTitle() != "Not reviewed" ||
		!strings.Contains(last.GetOutput().GetSummary(), `NO\_SUCH\_RULE`) {
		t.Errorf("bad settings: check run %+v %q", last, last.GetOutput().GetSummary())
	}
}

func TestTooLargeIsNotReviewed(t *testing.T) {
	h := newHarness(t, boltStore(t), func(c *Config) { c.MaxFiles = 2 })
	var p strings.Builder
	for i := 0; i < 2; i++ {
		p.WriteString(newFilePatch("Documentation/bar/notes" + string(rune('a'+i)) + ".txt"))
	}
	p.WriteString(patch(t, "review/spinlock-in-bitlock.patch"))
	_, d := h.open(1, p.String())
	h.done(d, store.Done)
	runs, _ := h.fake.CheckRuns(owner, repo)
	if len(h.fake.PR(owner, repo, 1).Reviews) != 0 || len(runs) != 1 || runs[0].GetConclusion() != "neutral" ||
		runs[0].GetOutput().GetSummary() != "the pull request changes more than 2 files" {
		t.Errorf("too large: %+v", runs)
	}
}

func TestInstallationRemovedDropsItsJobs(t *testing.T) {
	h := newHarness(t, boltStore(t), func(c *Config) { c.Workers = 1 })
	h.deliver("installation", &github.InstallationEvent{Action: github.String("deleted"),
		Installation: &github.Installation{ID: github.Int64(inst), Account: &github.User{Login: github.String(owner)}}}, http.StatusAccepted)
	_, d := h.open(1, patch(t, "review/spinlock-in-bitlock.patch"))
	if j := h.done(d, store.Dropped); j.Error != "installation deleted" {
		t.Errorf("job %+v", j)
	}
	h.deliver("installation", &github.InstallationEvent{Action: github.String("created"),
		Installation: &github.Installation{ID: github.Int64(inst), Account: &github.User{Login: github.String(owner)}}}, http.StatusAccepted)
	_, d = h.push(1, patch(t, "review/spinlock-in-bitlock.patch"))
	h.done(d, store.Done)
	if pr := h.fake.PR(owner, repo, 1); len(pr.Reviews) != 1 {
		t.Errorf("after reinstalling: %d reviews", len(pr.Reviews))
	}
}

// A job for a head the PR has moved past is dropped: the push's own
// delivery reviews the new head.
func TestSupersededHeadIsDropped(t *testing.T) {
	h := newHarness(t, boltStore(t), func(c *Config) { c.Workers = 1 })
	if _, err := h.fake.OpenPR(owner, repo, 1, h.base, patch(t, "review/spinlock-in-bitlock.patch")); err != nil {
		t.Fatal(err)
	}
	old := h.fake.PullRequestEvent("opened", owner, repo, 1)
	if _, err := h.fake.Push(owner, repo, 1, patch(t, "forge/fixed.patch")); err != nil {
		t.Fatal(err)
	}
	d := h.deliver("pull_request", old, http.StatusAccepted)
	if j := h.done(d, store.Dropped); !strings.HasPrefix(j.Error, "superseded by ") {
		t.Errorf("job %+v", j)
	}
}

// A check run's "Re-run" reviews the head again, in a new check run.
func TestCheckRunRerequested(t *testing.T) {
	h := newHarness(t, boltStore(t), nil)
	head, d := h.open(1, patch(t, "review/spinlock-in-bitlock.patch"))
	h.done(d, store.Done)
	ev := &github.CheckRunEvent{Action: github.String("rerequested"),
		CheckRun: &github.CheckRun{HeadSHA: &head, Name: github.String("lockbot"), App: &github.App{ID: github.Int64(h.fake.AppID)},
			PullRequests: []*github.PullRequest{{Number: github.Int(1)}}},
		Repo:         h.fake.PullRequestEvent("opened", owner, repo, 1).Repo,
		Installation: &github.Installation{ID: github.Int64(inst)}}
	d = h.deliver("check_run", ev, http.StatusAccepted)
	h.done(d, store.Done)
	runs, _ := h.fake.CheckRuns(owner, repo)
	if len(runs) != 2 || runs[1].GetConclusion() != "failure" {
		t.Errorf("check runs after a rerun: %+v", runs)
	}
	if pr := h.fake.PR(owner, repo, 1); len(pr.Reviews) != 1 {
		t.Errorf("the rerun posted again: %d reviews", len(pr.Reviews))
	}
	// Another App's check run is not ours to rerun.
	ev.CheckRun.App.ID = github.Int64(1)
	d = h.deliver("check_run", ev, http.StatusAccepted)
	if jobs, _ := h.st.Jobs(context.Background(), d); len(jobs) != 0 {
		t.Errorf("another App's rerun queued %d jobs", len(jobs))
	}
}

// A file over the size bound is not read: the check run says so.
func TestHugeFileSkippedWithANote(t *testing.T) {
	h := newHarness(t, boltStore(t), func(c *Config) { c.MaxFileBytes = 200 })
	_, d := h.open(1, patch(t, "review/spinlock-in-bitlock.patch"))
	h.done(d, store.Done)
	runs, _ := h.fake.CheckRuns(owner, repo)
	if len(runs) != 1 || runs[0].GetConclusion() != "success" ||
		!strings.Contains(runs[0].GetOutput().GetSummary(), "- Not reviewed: drivers/bar/bar.c: read drivers/bar/bar.c: file too large: over 200 bytes") {
		t.Errorf("check run %+v: %q", runs, runs[0].GetOutput().GetSummary())
	}
	if pr := h.fake.PR(owner, repo, 1); len(pr.Reviews) != 0 {
		t.Errorf("posted a review of a file it did not read")
	}
}
