// SPDX-License-Identifier: GPL-2.0-only

package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"lockbot/forge/store"
	"lockbot/forge/store/pgtest"
)

// The cases run against both stores, which must behave the same.
var cases = []struct {
	name string
	f    func(t *testing.T, s store.Store)
}{
	{"EnqueueIsIdempotentByDelivery", enqueueIsIdempotentByDelivery},
	{"LeaseExpiresAndFencesTheOldWorker", leaseExpiresAndFencesTheOldWorker},
	{"RetryWaitsAndRefunds", retryWaitsAndRefunds},
	{"ClaimOrderAndConcurrency", claimOrderAndConcurrency},
	{"PostedAndInstallations", postedAndInstallations},
	{"Prune", prune},
	{"InstallationWithItsDelivery", installationWithItsDelivery},
	{"LockPR", lockPR},
	{"ReplaysQueueNothing", replaysQueueNothing},
}

func TestBolt(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := store.OpenBolt(filepath.Join(t.TempDir(), "state.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			c.f(t, s)
		})
	}
}

// TestPostgres starts one server and gives each case a database of its own.
func TestPostgres(t *testing.T) {
	dsn := pgtest.Start(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := fmt.Sprintf("case%d", i)
			if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
				t.Fatal(err)
			}
			s, err := store.OpenPostgres(ctx, strings.Replace(dsn, "/postgres?", "/"+name+"?", 1))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			c.f(t, s)
		})
	}
}

// Two replicas starting together both create the tables without error.
func TestPostgresConcurrentOpen(t *testing.T) {
	dsn := pgtest.Start(t)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := store.OpenPostgres(context.Background(), dsn)
			if err != nil {
				t.Error(err)
				return
			}
			s.Close()
		}()
	}
	wg.Wait()
}

var now0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func job(n int) store.Job {
	return store.Job{Installation: 7, Owner: "kernel", Repo: "linux", Number: n, HeadSHA: fmt.Sprintf("%040d", n), Reason: "pull_request.opened"}
}

func enqueueIsIdempotentByDelivery(t *testing.T, s store.Store) {
	{
		ctx := context.Background()
		d := store.Delivery{ID: "d-1", Event: "pull_request", Received: now0}
		res, err := s.Enqueue(ctx, d, []store.Job{job(1)})
		if err != nil || res != (store.Enqueued{Queued: 1}) {
			t.Fatalf("first: %+v err %v", res, err)
		}
		res, err = s.Enqueue(ctx, d, []store.Job{job(1)})
		if err != nil || !res.Dup || res.Queued != 0 {
			t.Fatalf("redelivery: %+v err %v, want a duplicate", res, err)
		}
		jobs, err := s.Jobs(ctx, "d-1")
		if err != nil || len(jobs) != 1 {
			t.Fatalf("jobs of d-1: %v, %v; want 1", jobs, err)
		}
		j := jobs[0]
		if j.State != store.Queued || j.Number != 1 || j.Owner != "kernel" || j.Delivery != "d-1" || !j.NotBefore.Equal(now0) {
			t.Errorf("job = %+v", j)
		}
	}
}

func leaseExpiresAndFencesTheOldWorker(t *testing.T, s store.Store) {
	{
		ctx := context.Background()
		if _, err := s.Enqueue(ctx, store.Delivery{ID: "d", Event: "pull_request", Received: now0}, []store.Job{job(1)}); err != nil {
			t.Fatal(err)
		}
		a, err := s.Claim(ctx, "a", now0, time.Minute)
		if err != nil || a == nil {
			t.Fatalf("claim: %v %v", a, err)
		}
		if a.Attempts != 1 || a.State != store.Running || a.LeaseOwner != "a" {
			t.Fatalf("claimed %+v", a)
		}
		// Within the lease nobody else gets it.
		if j, err := s.Claim(ctx, "b", now0.Add(59*time.Second), time.Minute); err != nil || j != nil {
			t.Fatalf("claim during the lease: %v %v", j, err)
		}
		// Extending moves the expiry.
		if err := s.Extend(ctx, a.ID, "a", now0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if j, _ := s.Claim(ctx, "b", now0.Add(90*time.Second), time.Minute); j != nil {
			t.Fatalf("claimed during the extended lease: %+v", j)
		}
		// a dies: past the lease, b takes the job over.
		b, err := s.Claim(ctx, "b", now0.Add(3*time.Minute), time.Minute)
		if err != nil || b == nil || b.ID != a.ID || b.Attempts != 2 {
			t.Fatalf("takeover: %+v %v", b, err)
		}
		// a's late writes are refused; b's are not.
		for name, err := range map[string]error{
			"extend": s.Extend(ctx, a.ID, "a", now0.Add(time.Hour)),
			"finish": s.Finish(ctx, a.ID, "a", store.Done, "", now0),
			"retry":  s.Retry(ctx, a.ID, "a", now0, "x", false),
		} {
			if !errors.Is(err, store.ErrLeaseLost) {
				t.Errorf("%s by the old worker: %v, want ErrLeaseLost", name, err)
			}
		}
		if err := s.Finish(ctx, b.ID, "b", store.Done, "", now0.Add(4*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.Finish(ctx, b.ID, "b", store.Done, "", now0.Add(4*time.Minute)); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("second finish: %v, want ErrLeaseLost", err)
		}
		got, err := s.Job(ctx, a.ID)
		if err != nil || got.State != store.Done || got.Attempts != 2 {
			t.Fatalf("final job %+v %v", got, err)
		}
		if j, _ := s.Claim(ctx, "c", now0.Add(time.Hour), time.Minute); j != nil {
			t.Errorf("a finished job was claimed again: %+v", j)
		}
	}
}

func retryWaitsAndRefunds(t *testing.T, s store.Store) {
	{
		ctx := context.Background()
		s.Enqueue(ctx, store.Delivery{ID: "d", Event: "pull_request", Received: now0}, []store.Job{job(1)})
		j, _ := s.Claim(ctx, "a", now0, time.Minute)
		if err := s.Retry(ctx, j.ID, "a", now0.Add(30*time.Second), "rate limited", true); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Claim(ctx, "a", now0.Add(29*time.Second), time.Minute); got != nil {
			t.Fatalf("claimed before not_before: %+v", got)
		}
		got, err := s.Claim(ctx, "a", now0.Add(30*time.Second), time.Minute)
		if err != nil || got == nil {
			t.Fatalf("claim after not_before: %v %v", got, err)
		}
		if got.Attempts != 1 || got.Error != "rate limited" {
			t.Errorf("after a refunded retry: attempts %d error %q, want 1 and the reason", got.Attempts, got.Error)
		}
		s.Retry(ctx, got.ID, "a", now0.Add(time.Minute), "boom", false)
		got, _ = s.Claim(ctx, "a", now0.Add(time.Minute), time.Minute)
		if got == nil || got.Attempts != 2 {
			t.Errorf("after a counted retry: %+v, want attempts 2", got)
		}
	}
}

func claimOrderAndConcurrency(t *testing.T, s store.Store) {
	{
		ctx := context.Background()
		const n = 40
		for i := 0; i < n; i++ {
			d := store.Delivery{ID: fmt.Sprintf("d%02d", i), Event: "pull_request", Received: now0.Add(time.Duration(i) * time.Millisecond)}
			if _, err := s.Enqueue(ctx, d, []store.Job{job(i)}); err != nil {
				t.Fatal(err)
			}
		}
		first, _ := s.Claim(ctx, "w", now0.Add(time.Second), time.Minute)
		if first == nil || first.Number != 0 {
			t.Fatalf("first claim %+v, want the oldest job", first)
		}
		s.Finish(ctx, first.ID, "w", store.Done, "", now0)
		// Eight workers drain the rest: every job claimed exactly once.
		var mu sync.Mutex
		seen := map[int64]string{}
		var wg sync.WaitGroup
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(worker string) {
				defer wg.Done()
				for {
					j, err := s.Claim(ctx, worker, now0.Add(time.Second), time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if j == nil {
						return
					}
					mu.Lock()
					if prev, ok := seen[j.ID]; ok {
						t.Errorf("job %d claimed by %s and %s", j.ID, prev, worker)
					}
					seen[j.ID] = worker
					mu.Unlock()
					if err := s.Finish(ctx, j.ID, worker, store.Done, "", now0); err != nil {
						t.Error(err)
					}
				}
			}(fmt.Sprintf("w%d", w))
		}
		wg.Wait()
		if len(seen) != n-1 {
			t.Errorf("%d jobs claimed, want %d", len(seen), n-1)
		}
		counts, err := s.Counts(ctx)
		if err != nil || counts[store.Done] != n || counts[store.Queued] != 0 {
			t.Errorf("counts %v %v", counts, err)
		}
	}
}

func postedAndInstallations(t *testing.T, s store.Store) {
	{
		ctx := context.Background()
		pr := store.PR{Owner: "kernel", Repo: "linux", Number: 3}
		if got, err := s.Posted(ctx, pr); err != nil || len(got) != 0 {
			t.Fatalf("empty: %v %v", got, err)
		}
		a := store.Posted{Fingerprint: "aaaa", CommentID: 11, Path: "drivers/bar/bar.c", Line: 15, HeadSHA: "h1"}
		b := store.Posted{Fingerprint: "bbbb", Path: "drivers/bar/bar.c", Line: 40, HeadSHA: "h1"}
		if err := s.SavePosted(ctx, pr, []store.Posted{a, b}); err != nil {
			t.Fatal(err)
		}
		a.Resolved, a.HeadSHA = true, "h2"
		if err := s.SavePosted(ctx, pr, []store.Posted{a}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Posted(ctx, pr)
		if err != nil || len(got) != 2 || got["aaaa"] != a || got["bbbb"] != b {
			t.Errorf("posted = %+v %v", got, err)
		}
		if other, _ := s.Posted(ctx, store.PR{Owner: "kernel", Repo: "linux", Number: 4}); len(other) != 0 {
			t.Errorf("another PR sees %v", other)
		}

		if st, err := s.InstallationState(ctx, 9); err != nil || st != store.Active {
			t.Errorf("unknown installation: %q %v", st, err)
		}
		s.SetInstallation(ctx, 9, "kernel", store.Suspended, now0)
		if st, _ := s.InstallationState(ctx, 9); st != store.Suspended {
			t.Errorf("state %q, want suspended", st)
		}
	}
}

func prune(t *testing.T, s store.Store) {
	{
		ctx := context.Background()
		s.Enqueue(ctx, store.Delivery{ID: "old", Event: "pull_request", Received: now0}, []store.Job{job(1)})
		s.Enqueue(ctx, store.Delivery{ID: "new", Event: "pull_request", Received: now0.Add(48 * time.Hour)}, []store.Job{job(2)})
		j, _ := s.Claim(ctx, "w", now0, time.Minute)
		s.Finish(ctx, j.ID, "w", store.Done, "", now0)
		if err := s.Prune(ctx, now0.Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if jobs, _ := s.Jobs(ctx, "old"); len(jobs) != 0 {
			t.Errorf("old finished job kept: %+v", jobs)
		}
		if jobs, _ := s.Jobs(ctx, "new"); len(jobs) != 1 {
			t.Errorf("queued job pruned: %+v", jobs)
		}
		// A pruned delivery is forgotten: a redelivery queues again.
		if res, _ := s.Enqueue(ctx, store.Delivery{ID: "old", Event: "pull_request", Received: now0}, nil); res.Dup {
			t.Error("pruned delivery still a duplicate")
		}
		if res, _ := s.Enqueue(ctx, store.Delivery{ID: "new", Event: "pull_request", Received: now0}, nil); !res.Dup {
			t.Error("recent delivery forgotten")
		}
		// Nor does a pruned job absorb a job like it.
		if res, err := s.Enqueue(ctx, store.Delivery{ID: "old-again", Event: "pull_request", Received: now0}, []store.Job{job(1)}); err != nil || res.Queued != 1 {
			t.Errorf("a job like a pruned one: %+v %v, want queued", res, err)
		}
	}
}

// An installation event's state is written with its delivery: a
// redelivery of an old "suspend" does not undo the "unsuspend" after it.
func installationWithItsDelivery(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := func(state string) *store.Installation {
		return &store.Installation{ID: 9, Account: "kernel", State: state}
	}
	if _, err := s.Enqueue(ctx, store.Delivery{ID: "i-1", Event: "installation", Received: now0, Installation: in(store.Suspended)}, nil); err != nil {
		t.Fatal(err)
	}
	if st, err := s.InstallationState(ctx, 9); err != nil || st != store.Suspended {
		t.Fatalf("state %q %v, want suspended", st, err)
	}
	if _, err := s.Enqueue(ctx, store.Delivery{ID: "i-2", Event: "installation", Received: now0.Add(time.Minute), Installation: in(store.Active)}, nil); err != nil {
		t.Fatal(err)
	}
	res, err := s.Enqueue(ctx, store.Delivery{ID: "i-1", Event: "installation", Received: now0.Add(2 * time.Minute), Installation: in(store.Suspended)}, nil)
	if err != nil || !res.Dup {
		t.Fatalf("redelivery: %+v err %v", res, err)
	}
	if st, _ := s.InstallationState(ctx, 9); st != store.Active {
		t.Errorf("state %q after a redelivered suspend, want active", st)
	}
}

// A pull request's lock is held by one at a time; a waiter gives up when
// its context ends, and other pull requests are not held up.
func lockPR(t *testing.T, s store.Store) {
	ctx := context.Background()
	pr1, pr2 := store.PR{Owner: "kernel", Repo: "linux", Number: 1}, store.PR{Owner: "kernel", Repo: "linux", Number: 2}
	unlock, err := s.LockPR(ctx, pr1)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.LockPR(ctx, pr2)
	if err != nil {
		t.Fatalf("another PR's lock: %v", err)
	}
	other()
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if u, err := s.LockPR(short, pr1); err == nil {
		u()
		t.Fatal("a held lock was taken again")
	}
	got := make(chan func(), 1)
	go func() {
		u, err := s.LockPR(ctx, pr1)
		if err != nil {
			t.Error(err)
			u = func() {}
		}
		got <- u
	}()
	select {
	case <-got:
		t.Fatal("the lock was taken while held")
	case <-time.After(100 * time.Millisecond):
	}
	unlock()
	unlock() // twice is harmless
	select {
	case u := <-got:
		u()
	case <-time.After(5 * time.Second):
		t.Fatal("the lock was not passed on")
	}
}

// A job identical to one queued, running or finished within
// ReplayWindow, with no job of another head of its pull request since,
// is not queued again: a signed delivery replayed under new IDs costs no
// review. A "Re-run" is absorbed only by one still to run.
func replaysQueueNothing(t *testing.T, s store.Store) {
	ctx := context.Background()
	n := 0
	enqueue := func(at time.Time, jobs ...store.Job) store.Enqueued {
		t.Helper()
		n++
		res, err := s.Enqueue(ctx, store.Delivery{ID: fmt.Sprintf("r-%d", n), Event: "pull_request", Received: at}, jobs)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	finish := func(at time.Time) {
		t.Helper()
		j, err := s.Claim(ctx, "w", at, time.Minute)
		if err != nil || j == nil {
			t.Fatalf("claim: %+v %v", j, err)
		}
		if err := s.Finish(ctx, j.ID, "w", store.Done, "", at); err != nil {
			t.Fatal(err)
		}
	}
	want := func(what string, got store.Enqueued, queued, repeats int) {
		t.Helper()
		if got.Dup || got.Queued != queued || got.Repeats != repeats {
			t.Errorf("%s: %+v, want %d queued and %d repeats", what, got, queued, repeats)
		}
	}
	a := job(1)
	want("first", enqueue(now0, a), 1, 0)
	want("replay while queued", enqueue(now0.Add(time.Second), a), 0, 1)
	// Twice in one delivery, and another pull request's job beside it.
	want("twice in one delivery", enqueue(now0.Add(2*time.Second), a, a, job(2)), 1, 2)
	finish(now0.Add(time.Minute))
	want("replay after it ran", enqueue(now0.Add(time.Hour), a), 0, 1)
	// Another reason, installation or head is other work.
	reopened := a
	reopened.Reason = "pull_request.reopened"
	otherInst := a
	otherInst.Installation = 8
	want("another reason", enqueue(now0.Add(time.Hour), reopened), 1, 0)
	want("another installation", enqueue(now0.Add(time.Hour), otherInst), 1, 0)
	// Past the window, the same head is reviewed again.
	want("a day later", enqueue(now0.Add(time.Minute+store.ReplayWindow+time.Second), a), 1, 0)

	// A head pushed again after another (A, B, A) is new again: what B's
	// review resolved must be looked at anew.
	headA, headB := job(3), job(3)
	headB.HeadSHA = strings.Repeat("b", 40)
	headA.Reason, headB.Reason = "pull_request.synchronize", "pull_request.synchronize"
	want("A", enqueue(now0, headA), 1, 0)
	want("B", enqueue(now0, headB), 1, 0)
	want("A again", enqueue(now0, headA), 1, 0)
	want("A replayed", enqueue(now0, headA), 0, 1)

	// A Re-run is absorbed by one still queued, not by one that ran.
	rerun := job(4)
	rerun.Reason = "check_run.rerequested"
	want("rerun", enqueue(now0, rerun), 1, 0)
	want("rerun while queued", enqueue(now0, rerun), 0, 1)
	for {
		j, err := s.Claim(ctx, "w", now0.Add(time.Hour), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if j == nil {
			break
		}
		if err := s.Finish(ctx, j.ID, "w", store.Done, "", now0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	want("rerun after it ran", enqueue(now0.Add(2*time.Hour), rerun), 1, 0)
}
