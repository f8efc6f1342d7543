// SPDX-License-Identifier: GPL-2.0-only

package forge

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"lockbot/forge/store"
)

// Rate-limit waits in place are bounded in all, not each: two Retry-Afters
// of MaxRateWait in a row would hold the worker twice as long and, with a
// longer --max-rate-wait, run into the client's timeout, failing the
// request as a timeout (an attempt spent, a backoff) instead of putting
// the job back until the limit lifts. Here the first limit is waited out
// in place, the second requeues the job, which then runs to its end on the
// same attempt.
func TestRateLimitWaitsBoundedInAll(t *testing.T) {
	h := newHarness(t, boltStore(t), func(c *Config) { c.MaxRateWait, c.APITimeout = 2*time.Second, 4*time.Second })
	h.fake.SecondaryLimit(2, 2, func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/pulls/1/files") })
	_, d := h.open(1, patch(t, "review/spinlock-in-bitlock.patch"))
	j := h.done(d, store.Done)
	if j.Attempts != 1 {
		t.Errorf("attempts %d, want 1: a rate limit is not the job's failure", j.Attempts)
	}
	if v := h.metric(`lockbot_jobs_total{outcome="rate_limited"}`); v != "1" {
		t.Errorf("jobs requeued for a rate limit: %q, want 1", v)
	}
	if pr := h.fake.PR(owner, repo, 1); len(pr.Reviews) != 1 {
		t.Errorf("%d reviews, want 1", len(pr.Reviews))
	}

	// The wait in place is at most half the request's timeout, whatever
	// --max-rate-wait says.
	cfg := h.cfg
	cfg.MaxRateWait, cfg.APITimeout = 10*time.Minute, 2*time.Minute
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if srv.cfg.MaxRateWait != time.Minute {
		t.Errorf("MaxRateWait %v with a 2m API timeout, want 1m", srv.cfg.MaxRateWait)
	}
}
