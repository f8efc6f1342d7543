// SPDX-License-Identifier: GPL-2.0-only

package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A burst of deliveries on a busy disk (bbolt's fsyncs taking 100 ms, as
// when CI's compilers write alongside; an acknowledgement took 1.26 s) is
// stored in a few transactions, not a train of them each behind the
// last, and the workers' writes wait for it: each delivery waits for the
// commit in progress, perhaps one worker's write, and its own commit.
func TestBoltDeliveriesOnASlowDisk(t *testing.T) {
	s, err := OpenBolt(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const slow = 100 * time.Millisecond
	s.slowDisk = slow
	stop := make(chan struct{})
	var workers sync.WaitGroup
	for w := 0; w < 2; w++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				// A worker's write: Claim, Extend, Finish.
				s.update(func(tx *bolt.Tx) error { return nil })
			}
		}()
	}
	time.Sleep(slow / 2) // a write is under way when the burst comes

	// The burst, spread as a starved CPU spreads it: a delivery every 3 ms.
	const n = 100
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			d := Delivery{ID: fmt.Sprintf("d%d", i), Event: "pull_request", Received: start}
			j := Job{Installation: 1, Owner: "kernel", Repo: "linux", Number: i + 1, HeadSHA: "0123456789ab"}
			if _, err := s.Enqueue(context.Background(), d, []Job{j}); err != nil {
				t.Error(err)
			}
			lat[i] = time.Since(start)
		}()
		time.Sleep(3 * time.Millisecond)
	}
	wg.Wait()
	close(stop)
	workers.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("%d deliveries, writes taking %v: p50 %v, max %v", n, slow, lat[n/2].Round(time.Millisecond), lat[n-1].Round(time.Millisecond))
	if max := lat[n-1]; max > 6*slow {
		t.Errorf("slowest delivery stored in %v, want at most %v", max, 6*slow)
	}
	counts, err := s.Counts(context.Background())
	if err != nil || counts[Queued] != n {
		t.Errorf("counts %v %v, want %d queued", counts, err, n)
	}
}

// A delivery whose context ends while it waits is refused in time, as the
// webhook's 5 s bound needs; bbolt's Batch took no context.
func TestBoltEnqueueHonoursItsContext(t *testing.T) {
	s, err := OpenBolt(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	held := make(chan struct{})
	release := make(chan struct{})
	go s.db.Update(func(tx *bolt.Tx) error { close(held); <-release; return nil })
	<-held
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := s.Enqueue(ctx, Delivery{ID: "d", Event: "ping", Received: start}, nil)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("enqueue behind a hung write succeeded")
		}
	case <-time.After(time.Second):
		t.Errorf("enqueue behind a hung write: no answer after 1s, its context ended after 100ms")
	}
	close(release)
	// The write still happens once the lock is free: a redelivery is a
	// duplicate.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var stored bool
		s.db.View(func(tx *bolt.Tx) error { stored = tx.Bucket(bDeliveries).Get([]byte("d")) != nil; return nil })
		if stored {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first write never happened")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A file written before the "due" index keeps its queue: the index is
// built from the old one on opening.
func TestBoltConvertsTheOldQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bDeliveries, bJobs, bQueue, bPosted, bInstallations} {
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		for i, state := range []string{Queued, Done, Queued} {
			j := &Job{ID: int64(i + 1), Owner: "kernel", Repo: "linux", Number: i + 1, State: state, NotBefore: time.Unix(int64(1000-i), 0)}
			if err := putJob(tx, j); err != nil {
				return err
			}
			if state == Queued {
				if err := tx.Bucket(bQueue).Put(idKey(j.ID), nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var got []int
	for {
		j, err := s.Claim(ctx, "w", time.Unix(2000, 0), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if j == nil {
			break
		}
		got = append(got, j.Number)
		if err := s.Finish(ctx, j.ID, "w", Done, "", time.Unix(2000, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(got) != "[3 1]" {
		t.Errorf("claimed %v, want [3 1]: the queued jobs, oldest due first", got)
	}
	// The jobs are indexed by pull request too: one like job 1, just
	// finished, is a repeat.
	res, err := s.Enqueue(ctx, Delivery{ID: "again", Event: "pull_request", Received: time.Unix(2000, 0).Add(time.Hour)},
		[]Job{{Owner: "kernel", Repo: "linux", Number: 1}})
	if err != nil || res.Repeats != 1 {
		t.Errorf("a job like an old file's: %+v %v, want a repeat", res, err)
	}
}
