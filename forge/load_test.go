// SPDX-License-Identifier: GPL-2.0-only

package forge

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"lockbot/forge/store"
	"lockbot/forge/store/pgtest"
)

const burst = 200

// TestLoadBurst: 200 pull_request deliveries at once, for 200 pull
// requests. Every one is acknowledged in under a second, and each PR gets
// exactly one review; 50 redeliveries change nothing.
func TestLoadBurst(t *testing.T) {
	loadBurst(t, boltStore(t), nil)
}

// The same with two replicas sharing a PostgreSQL database, deliveries
// split between them: SKIP LOCKED claims never hand a job to both.
func TestLoadBurstTwoReplicasPostgres(t *testing.T) {
	url := pgtest.Start(t)
	st, err := store.OpenPostgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() }) // after the servers stop
	loadBurst(t, st, func() (store.Store, error) { return store.OpenPostgres(context.Background(), url) })
}

// loadBurst runs the burst against a server on st, and a second replica
// on second's store when second is not nil.
func loadBurst(t *testing.T, st store.Store, second func() (store.Store, error)) {
	h := newHarness(t, st, func(c *Config) {
		c.Log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
		c.Lease = 10 * time.Second
	})
	urls := []string{h.url}
	if second != nil {
		other, err := second()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { other.Close() })
		_, u := h.replica(other)
		urls = append(urls, u)
	}
	p := patch(t, "review/spinlock-in-bitlock.patch")
	for n := 1; n <= burst; n++ {
		// A file of its own makes each head a commit of its own.
		if _, err := h.fake.OpenPR(owner, repo, n, h.base, p+newFilePatch(fmt.Sprintf("Documentation/bar/pr%d.txt", n))); err != nil {
			t.Fatal(err)
		}
	}
	events := make([]any, burst+1)
	for n := 1; n <= burst; n++ {
		events[n] = h.fake.PullRequestEvent("opened", owner, repo, n)
	}

	send := func(n int) (time.Duration, int, error) {
		start := time.Now()
		resp, err := h.fake.Deliver(urls[n%len(urls)]+"/webhook", "pull_request", fmt.Sprintf("load-%d", n), events[n], h.fake.WebhookSecret)
		if err != nil {
			return 0, 0, err
		}
		resp.Body.Close()
		return time.Since(start), resp.StatusCode, nil
	}
	lat := make([]time.Duration, burst)
	var wg sync.WaitGroup
	start := time.Now()
	release := make(chan struct{})
	for n := 1; n <= burst; n++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-release
			d, code, err := send(n)
			if err != nil || code != http.StatusAccepted {
				t.Errorf("delivery %d: %d %v", n, code, err)
			}
			lat[n-1] = d
		}()
	}
	close(release)
	wg.Wait()
	acked := time.Since(start)

	// Redeliveries while the queue drains: acknowledged, not queued.
	for n := 1; n <= 50; n++ {
		if _, code, err := send(n); err != nil || code != http.StatusOK {
			t.Errorf("redelivery %d: %d %v", n, code, err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		counts, err := st.Counts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if counts[store.Queued]+counts[store.Running] == 0 {
			if counts[store.Done] != burst {
				t.Fatalf("jobs by state %v, want %d done", counts, burst)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue not drained: %v", counts)
		}
		time.Sleep(20 * time.Millisecond)
	}
	drained := time.Since(start)

	for n := 1; n <= burst; n++ {
		jobs, err := st.Jobs(context.Background(), fmt.Sprintf("load-%d", n))
		if err != nil || len(jobs) != 1 || jobs[0].State != store.Done || jobs[0].Attempts != 1 {
			t.Errorf("delivery %d: jobs %+v %v, want one done on its first attempt", n, jobs, err)
		}
		pr := h.fake.PR(owner, repo, n)
		if len(pr.Reviews) != 1 || len(pr.Comments) != 1 || pr.Rejected != 0 {
			t.Errorf("PR %d: %d reviews, %d comments, %d rejected; want 1, 1, 0", n, len(pr.Reviews), len(pr.Comments), pr.Rejected)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if lat[burst-1] >= time.Second {
		t.Errorf("slowest acknowledgement %v, want under a second", lat[burst-1])
	}
	t.Logf("%d deliveries to %d replica(s): acknowledged in p50 %v, p99 %v, max %v (all %d in %v); queue drained, %d reviews posted, in %v",
		burst, len(urls), lat[burst/2].Round(time.Microsecond), lat[burst*99/100-1].Round(time.Microsecond), lat[burst-1].Round(time.Microsecond),
		burst, acked.Round(time.Millisecond), burst, drained.Round(time.Millisecond))
}
