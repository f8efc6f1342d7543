// SPDX-License-Identifier: GPL-2.0-only

package forge

import (
	"net/http"
	"strings"
	"testing"

	"lockbot/forge/store"
)

// A pull request from a fork is reviewed through the base repository
// alone: its head commit is the base's too (GitHub keeps it as
// refs/pull/N/head), while the fork is not the installation's, so any
// read of it would fail. Its "Re-run" comes with an empty pull_requests
// (GitHub lists only pull requests whose head branch is in the
// repository): the pull request is found by its head among the open ones,
// reviewed again in a new check run, and nothing is posted twice.
func TestForkPullRequestAndItsRerun(t *testing.T) {
	h := newHarness(t, boltStore(t), nil)
	// Another open pull request, from a branch of the repository, that
	// the rerun must leave alone.
	if _, d := h.open(1, patch(t, "review/spinlock-in-bitlock.patch")); d != "" {
		h.done(d, store.Done)
	}
	head, err := h.fake.OpenForkPR(owner, repo, 2, "contributor", h.base, patch(t, "review/spinlock-in-bitlock.patch")+newFilePatch("Documentation/fork.txt"))
	if err != nil {
		t.Fatal(err)
	}
	ev := h.fake.PullRequestEvent("opened", owner, repo, 2)
	if got := ev.GetPullRequest().GetHead().GetRepo().GetOwner().GetLogin(); got != "contributor" {
		t.Fatalf("the fake's fork PR has its head in %q", got)
	}
	d := h.deliver("pull_request", ev, http.StatusAccepted)
	h.done(d, store.Done)
	if pr := h.fake.PR(owner, repo, 2); len(pr.Reviews) != 1 || len(pr.Comments) != 1 {
		t.Fatalf("fork PR: %d reviews, %d comments, want 1 and 1", len(pr.Reviews), len(pr.Comments))
	}

	rerun := h.fake.CheckRunRerequested(owner, repo, 2)
	if len(rerun.GetCheckRun().PullRequests) != 0 {
		t.Fatalf("the fake lists the fork's PR in its check run")
	}
	d = h.deliver("check_run", rerun, http.StatusAccepted)
	jobs := h.wait(d)
	if len(jobs) != 1 || jobs[0].State != store.Done {
		t.Fatalf("rerun of the fork PR: jobs %+v, want one done", jobs)
	}
	var ours int
	runs, _ := h.fake.CheckRuns(owner, repo)
	for _, r := range runs {
		if r.GetHeadSHA() == head {
			ours++
			if r.GetStatus() != "completed" || r.GetConclusion() != "failure" {
				t.Errorf("fork PR check run %d: %s %s", r.GetID(), r.GetStatus(), r.GetConclusion())
			}
		}
	}
	if ours != 2 {
		t.Errorf("%d check runs on the fork's head, want 2: the first and the rerun's", ours)
	}
	if pr := h.fake.PR(owner, repo, 2); len(pr.Reviews) != 1 {
		t.Errorf("the rerun posted again: %d reviews", len(pr.Reviews))
	}
	if pr := h.fake.PR(owner, repo, 1); len(pr.Reviews) != 1 {
		t.Errorf("the other PR: %d reviews, want 1", len(pr.Reviews))
	}
	for _, r := range h.fake.Requests() {
		if strings.HasPrefix(r.Path, "/repos/contributor/") {
			t.Errorf("read the fork: %s %s", r.Method, r.Path)
		}
	}

	// A rerun of a head no open pull request has (closed since) is
	// dropped.
	h.fake.SetState(owner, repo, 2, "closed")
	d = h.deliver("check_run", rerun, http.StatusAccepted)
	if j := h.done(d, store.Dropped); !strings.Contains(j.Error, "no open pull request") {
		t.Errorf("rerun of a closed fork PR: %+v", j)
	}
}
