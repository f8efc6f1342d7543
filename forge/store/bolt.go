// SPDX-License-Identifier: GPL-2.0-only

package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bolt is the store in one bbolt file. Its buckets are the tables of
// schema.sql, each row a JSON value under its primary key; "due" indexes
// the jobs not finished by when they may next be claimed, so that Claim
// reads one job, not every one queued, while it holds the writer lock.
// bbolt locks the file: one process at a time, hence one replica.
type Bolt struct {
	db *bolt.DB
	// prs are the pull requests' locks: bbolt's file lock makes this
	// process the store's only user, so they need not be in the file.
	prs prLocks
	// bbolt has one writer at a time, and each write transaction ends
	// in two fsyncs, which a busy disk can make last hundreds of
	// milliseconds. A delivery's acknowledgement waits for its write,
	// so deliveries are stored by a group commit (enq) that takes every
	// delivery waiting in one transaction, and the workers' writes hold
	// back while deliveries wait (acks): they can wait, GitHub cannot.
	enq  groupCommit
	acks ackGate
	// slowDisk, in tests, is added to every write transaction while it
	// holds the writer lock, as a busy disk's fsyncs are.
	slowDisk time.Duration
}

var (
	bDeliveries = []byte("deliveries")
	bJobs       = []byte("jobs")
	bDue        = []byte("due")
	// bQueue is the index of unfinished jobs by ID that files written
	// before "due" have; it is converted on opening.
	bQueue         = []byte("queue")
	bPosted        = []byte("posted")
	bInstallations = []byte("installations")
	// bPRJobs indexes the jobs by pull request: prJobKey, no value.
	// Enqueue walks a pull request's jobs from the newest to find the
	// repeats of one.
	bPRJobs = []byte("prjobs")
)

// OpenBolt opens (creating) the store file at path.
func OpenBolt(path string) (*Bolt, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bDeliveries, bJobs, bPosted, bInstallations} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if err := convertQueue(tx); err != nil {
			return err
		}
		return indexPRJobs(tx)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	return &Bolt{db: db, prs: prLocks{held: map[string]chan struct{}{}}, acks: ackGate{maxHold: maxAckHold}}, nil
}

// convertQueue creates the "due" index, from the "queue" one of a file
// written before it.
func convertQueue(tx *bolt.Tx) error {
	if tx.Bucket(bDue) != nil {
		return nil
	}
	due, err := tx.CreateBucket(bDue)
	if err != nil {
		return err
	}
	old := tx.Bucket(bQueue)
	if old == nil {
		return nil
	}
	err = old.ForEach(func(k, _ []byte) error {
		j, err := getJob(tx, int64(binary.BigEndian.Uint64(k)))
		if err != nil {
			return err
		}
		if dk := dueKey(j); dk != nil {
			return due.Put(dk, nil)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("converting the queue: %w", err)
	}
	return tx.DeleteBucket(bQueue)
}

// indexPRJobs creates the "prjobs" index, from the jobs of a file
// written before it.
func indexPRJobs(tx *bolt.Tx) error {
	if tx.Bucket(bPRJobs) != nil {
		return nil
	}
	idx, err := tx.CreateBucket(bPRJobs)
	if err != nil {
		return err
	}
	err = tx.Bucket(bJobs).ForEach(func(k, v []byte) error {
		j := &Job{}
		if err := json.Unmarshal(v, j); err != nil {
			return fmt.Errorf("job %d: %w", binary.BigEndian.Uint64(k), err)
		}
		return idx.Put(prJobKey(j), nil)
	})
	if err != nil {
		return fmt.Errorf("indexing the jobs by pull request: %w", err)
	}
	return nil
}

// prJobsPrefix is the part of the "prjobs" keys of pr's jobs before
// their IDs; the NUL keeps #1's from prefixing #12's.
func prJobsPrefix(pr PR) []byte { return append(prKey(pr), 0) }

// prJobKey is a job's key in "prjobs": its pull request, then its ID, so
// that a pull request's jobs sort by age.
func prJobKey(j *Job) []byte { return append(prJobsPrefix(j.PR()), idKey(j.ID)...) }

// repeat reports whether a job identical to j absorbs it (see
// Store.Enqueue): the pull request's jobs are walked from the newest to
// the first of another head, past which j would be new again.
func repeat(tx *bolt.Tx, j *Job, received time.Time) (bool, error) {
	prefix := prJobsPrefix(j.PR())
	c := tx.Bucket(bPRJobs).Cursor()
	// Seek past the prefix's last key (prefix and an 8-byte ID) and step
	// back.
	end := append(append([]byte(nil), prefix...), bytes.Repeat([]byte{0xff}, 9)...)
	k, _ := c.Seek(end)
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, _ = c.Prev() {
		e, err := getJob(tx, int64(binary.BigEndian.Uint64(k[len(prefix):])))
		if err != nil {
			return false, err
		}
		if e.HeadSHA != j.HeadSHA {
			return false, nil
		}
		if absorbs(e, j, received) {
			return true, nil
		}
	}
	return false, nil
}

// dueKey is an unfinished job's key in "due": when it may next be
// claimed (a queued job's not-before, a running one's lease end), in
// nanoseconds made unsigned so that bytes sort as times do, then its ID;
// nil for a finished job.
func dueKey(j *Job) []byte {
	var at time.Time
	switch j.State {
	case Queued:
		at = j.NotBefore
	case Running:
		at = j.LeaseUntil
	default:
		return nil
	}
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(unixNano(at))^(1<<63))
	binary.BigEndian.PutUint64(k[8:], uint64(j.ID))
	return k
}

// unixNano is t in nanoseconds, clamped to what an int64 holds (the zero
// time is far before it).
func unixNano(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// dueAt is the time of a "due" key.
func dueAt(k []byte) int64 { return int64(binary.BigEndian.Uint64(k) ^ (1 << 63)) }

// saveJob writes j and moves its "due" entry from old, its key before
// the change (nil for none).
func saveJob(tx *bolt.Tx, j *Job, old []byte) error {
	if err := putJob(tx, j); err != nil {
		return err
	}
	due := tx.Bucket(bDue)
	if old != nil {
		if err := due.Delete(old); err != nil {
			return err
		}
	}
	if k := dueKey(j); k != nil {
		return due.Put(k, nil)
	}
	return nil
}

func idKey(id int64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, uint64(id))
	return k
}

type deliveryRow struct {
	Event    string    `json:"event"`
	Received time.Time `json:"received"`
}

// Enqueue implements Store. The delivery joins the group commit, and
// Enqueue returns when that transaction is on disk or ctx ends (the
// write may then still happen: a redelivery is then a duplicate).
func (s *Bolt) Enqueue(ctx context.Context, d Delivery, jobs []Job) (Enqueued, error) {
	s.acks.enter()
	defer s.acks.leave()
	req := &enqueueReq{d: d, jobs: jobs, done: make(chan error, 1)}
	if s.enq.add(req) {
		// The commits run on a goroutine of their own: the first caller's
		// context must not cut the others' write short.
		go s.commitDeliveries()
	}
	select {
	case err := <-req.done:
		if err != nil {
			return Enqueued{}, fmt.Errorf("store: enqueue %s: %w", d.ID, err)
		}
		return req.res, nil
	case <-ctx.Done():
		return Enqueued{}, fmt.Errorf("store: enqueue %s: %w", d.ID, ctx.Err())
	}
}

// enqueueReq is a delivery waiting for the group commit.
type enqueueReq struct {
	d    Delivery
	jobs []Job
	res  Enqueued   // set before done is sent
	done chan error // buffered: the committer never waits for a caller gone
}

// groupCommit collects the deliveries waiting to be stored. Unlike
// bbolt's Batch, which closes a batch after a fixed delay and queues it
// for the writer lock, so that a slow commit leaves a train of small
// batches committing one after another, every delivery that arrives
// while a commit runs goes into the next one: a delivery waits for at
// most the commit in progress and its own.
type groupCommit struct {
	mu      sync.Mutex
	pending []*enqueueReq
	running bool // a commitDeliveries is on its way
}

// add queues r and reports whether the caller must start the committer.
func (g *groupCommit) add(r *enqueueReq) (start bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pending = append(g.pending, r)
	start = !g.running
	g.running = true
	return start
}

// take returns the deliveries waiting, or none and marks the committer
// gone.
func (g *groupCommit) take() []*enqueueReq {
	g.mu.Lock()
	defer g.mu.Unlock()
	batch := g.pending
	g.pending = nil
	if len(batch) == 0 {
		g.running = false
	}
	return batch
}

// commitDeliveries stores the waiting deliveries, a transaction at a
// time, until none waits.
func (s *Bolt) commitDeliveries() {
	for batch := s.enq.take(); len(batch) > 0; batch = s.enq.take() {
		err := s.write(func(tx *bolt.Tx) error {
			for _, r := range batch {
				res, err := enqueueTx(tx, r.d, r.jobs)
				if err != nil {
					return err
				}
				r.res = res
			}
			return nil
		})
		if err != nil && len(batch) > 1 {
			// One delivery's failure must not fail the others': each
			// goes again alone.
			for _, r := range batch {
				r.done <- s.write(func(tx *bolt.Tx) error {
					res, err := enqueueTx(tx, r.d, r.jobs)
					r.res = res
					return err
				})
			}
			continue
		}
		for _, r := range batch {
			r.done <- err
		}
	}
}

// enqueueTx records a delivery and queues its jobs in tx. (A batch's
// earlier deliveries are in tx: a replay in the same batch is a repeat.)
func enqueueTx(tx *bolt.Tx, d Delivery, jobs []Job) (res Enqueued, err error) {
	deliveries := tx.Bucket(bDeliveries)
	if deliveries.Get([]byte(d.ID)) != nil {
		return Enqueued{Dup: true}, nil
	}
	row, _ := json.Marshal(deliveryRow{d.Event, d.Received})
	if err := deliveries.Put([]byte(d.ID), row); err != nil {
		return res, err
	}
	if in := d.Installation; in != nil {
		if err := putInstallation(tx, in.ID, in.Account, in.State, d.Received); err != nil {
			return res, err
		}
	}
	jb := tx.Bucket(bJobs)
	for _, j := range jobs {
		again, err := repeat(tx, &j, d.Received)
		if err != nil {
			return res, err
		}
		if again {
			res.Repeats++
			continue
		}
		seq, err := jb.NextSequence()
		if err != nil {
			return res, err
		}
		j.ID, j.Delivery, j.State, j.Attempts = int64(seq), d.ID, Queued, 0
		if j.Created.IsZero() {
			j.Created = d.Received
		}
		if j.NotBefore.IsZero() {
			j.NotBefore = j.Created
		}
		if err := saveJob(tx, &j, nil); err != nil {
			return res, err
		}
		if err := tx.Bucket(bPRJobs).Put(prJobKey(&j), nil); err != nil {
			return res, err
		}
		res.Queued++
	}
	return res, nil
}

// maxAckHold bounds how long a worker's write waits for deliveries to be
// stored: a steady stream of deliveries must not stall the workers, nor
// keep a lease from being extended (leases last minutes).
const maxAckHold = 250 * time.Millisecond

// ackGate counts the deliveries waiting to be stored; the workers' writes
// wait for it to be clear (or maxHold) before taking the writer lock.
type ackGate struct {
	mu      sync.Mutex
	n       int
	clear   chan struct{} // closed when n drops to 0
	maxHold time.Duration
}

func (g *ackGate) enter() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n == 0 {
		g.clear = make(chan struct{})
	}
	g.n++
}

func (g *ackGate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n--; g.n == 0 {
		close(g.clear)
	}
}

// wait returns once no delivery waits, or after maxHold.
func (g *ackGate) wait() {
	g.mu.Lock()
	clear := g.clear
	busy := g.n > 0
	g.mu.Unlock()
	if !busy {
		return
	}
	t := time.NewTimer(g.maxHold)
	defer t.Stop()
	select {
	case <-clear:
	case <-t.C:
	}
}

// update is a write of the workers' (or the operator's): it lets the
// deliveries waiting to be stored go first.
func (s *Bolt) update(fn func(tx *bolt.Tx) error) error {
	s.acks.wait()
	return s.write(fn)
}

// write runs fn in a write transaction.
func (s *Bolt) write(fn func(tx *bolt.Tx) error) error {
	if s.slowDisk == 0 {
		return s.db.Update(fn)
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		err := fn(tx)
		time.Sleep(s.slowDisk)
		return err
	})
}

func putJob(tx *bolt.Tx, j *Job) error {
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return tx.Bucket(bJobs).Put(idKey(j.ID), data)
}

func getJob(tx *bolt.Tx, id int64) (*Job, error) {
	data := tx.Bucket(bJobs).Get(idKey(id))
	if data == nil {
		return nil, fmt.Errorf("store: no job %d", id)
	}
	j := &Job{}
	if err := json.Unmarshal(data, j); err != nil {
		return nil, fmt.Errorf("store: job %d: %w", id, err)
	}
	return j, nil
}

// Claim implements Store. Whether a job is ready is read first, without
// the writer lock: an idle worker's poll then costs no write transaction
// (and its fsyncs) that a delivery would have to wait behind.
func (s *Bolt) Claim(ctx context.Context, worker string, now time.Time, lease time.Duration) (*Job, error) {
	var found bool
	err := s.db.View(func(tx *bolt.Tx) error {
		j, err := oldestReady(tx, now)
		found = j != nil
		return err
	})
	if err != nil || !found {
		return nil, err
	}
	var got *Job
	err = s.update(func(tx *bolt.Tx) error {
		best, err := oldestReady(tx, now)
		if err != nil || best == nil {
			return err // another worker took it
		}
		old := dueKey(best)
		best.State, best.LeaseOwner, best.LeaseUntil = Running, worker, now.Add(lease)
		best.Attempts++
		got = best
		return saveJob(tx, best, old)
	})
	return got, err
}

// oldestReady is the job Claim takes at now, or nil: the first in "due",
// if due. (Among the ready jobs, a running one whose lease expired goes
// by its lease's end where the SQL orders by not_before: both are
// claimed before any job not yet due.)
func oldestReady(tx *bolt.Tx, now time.Time) (*Job, error) {
	c := tx.Bucket(bDue).Cursor()
	for k, _ := c.First(); k != nil && dueAt(k) <= unixNano(now); k, _ = c.Next() {
		j, err := getJob(tx, int64(binary.BigEndian.Uint64(k[8:])))
		if err != nil {
			return nil, err
		}
		if ready(j, now) {
			return j, nil
		}
	}
	return nil, nil
}

// held loads a job the worker holds a lease on, or fails with ErrLeaseLost.
func held(tx *bolt.Tx, id int64, worker string) (*Job, error) {
	j, err := getJob(tx, id)
	if err != nil {
		return nil, err
	}
	if j.State != Running || j.LeaseOwner != worker {
		return nil, ErrLeaseLost
	}
	return j, nil
}

// Extend implements Store.
func (s *Bolt) Extend(ctx context.Context, id int64, worker string, until time.Time) error {
	return s.update(func(tx *bolt.Tx) error {
		j, err := held(tx, id, worker)
		if err != nil {
			return err
		}
		old := dueKey(j)
		j.LeaseUntil = until
		return saveJob(tx, j, old)
	})
}

// Finish implements Store.
func (s *Bolt) Finish(ctx context.Context, id int64, worker, state, msg string, now time.Time) error {
	if !finishable(state) {
		return fmt.Errorf("store: %q is not a final state", state)
	}
	return s.update(func(tx *bolt.Tx) error {
		j, err := held(tx, id, worker)
		if err != nil {
			return err
		}
		old := dueKey(j)
		j.State, j.Error, j.Finished, j.LeaseOwner = state, msg, now, ""
		return saveJob(tx, j, old)
	})
}

// Retry implements Store.
func (s *Bolt) Retry(ctx context.Context, id int64, worker string, notBefore time.Time, msg string, refund bool) error {
	return s.update(func(tx *bolt.Tx) error {
		j, err := held(tx, id, worker)
		if err != nil {
			return err
		}
		old := dueKey(j)
		j.State, j.NotBefore, j.Error, j.LeaseOwner, j.LeaseUntil = Queued, notBefore, msg, "", time.Time{}
		if refund && j.Attempts > 0 {
			j.Attempts--
		}
		return saveJob(tx, j, old)
	})
}

// Job implements Store.
func (s *Bolt) Job(ctx context.Context, id int64) (*Job, error) {
	var j *Job
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		j, err = getJob(tx, id)
		return err
	})
	return j, err
}

// Jobs implements Store. Deliveries queue few jobs and are looked up
// rarely (tests, operators), so a scan serves.
func (s *Bolt) Jobs(ctx context.Context, delivery string) ([]*Job, error) {
	var out []*Job
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bJobs).ForEach(func(k, v []byte) error {
			j := &Job{}
			if err := json.Unmarshal(v, j); err != nil {
				return err
			}
			if j.Delivery == delivery {
				out = append(out, j)
			}
			return nil
		})
	})
	return out, err
}

// Counts implements Store.
func (s *Bolt) Counts(ctx context.Context) (map[string]int, error) {
	counts := map[string]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bJobs).ForEach(func(k, v []byte) error {
			var j struct {
				State string `json:"state"`
			}
			if err := json.Unmarshal(v, &j); err != nil {
				return err
			}
			counts[j.State]++
			return nil
		})
	})
	return counts, err
}

func prKey(pr PR) []byte {
	return []byte(pr.Owner + "/" + pr.Repo + "#" + strconv.Itoa(pr.Number))
}

// Posted implements Store.
func (s *Bolt) Posted(ctx context.Context, pr PR) (map[string]Posted, error) {
	out := map[string]Posted{}
	err := s.db.View(func(tx *bolt.Tx) error {
		data := tx.Bucket(bPosted).Get(prKey(pr))
		if data == nil {
			return nil
		}
		return json.Unmarshal(data, &out)
	})
	return out, err
}

// SavePosted implements Store.
func (s *Bolt) SavePosted(ctx context.Context, pr PR, ps []Posted) error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bPosted)
		all := map[string]Posted{}
		if data := b.Get(prKey(pr)); data != nil {
			if err := json.Unmarshal(data, &all); err != nil {
				return err
			}
		}
		for _, p := range ps {
			all[p.Fingerprint] = p
		}
		data, err := json.Marshal(all)
		if err != nil {
			return err
		}
		return b.Put(prKey(pr), data)
	})
}

type installationRow struct {
	Account string    `json:"account"`
	State   string    `json:"state"`
	Updated time.Time `json:"updated"`
}

// SetInstallation implements Store.
func (s *Bolt) SetInstallation(ctx context.Context, id int64, account, state string, now time.Time) error {
	return s.update(func(tx *bolt.Tx) error { return putInstallation(tx, id, account, state, now) })
}

func putInstallation(tx *bolt.Tx, id int64, account, state string, now time.Time) error {
	data, _ := json.Marshal(installationRow{account, state, now})
	return tx.Bucket(bInstallations).Put(idKey(id), data)
}

// LockPR implements Store.
func (s *Bolt) LockPR(ctx context.Context, pr PR) (func(), error) {
	return s.prs.lock(ctx, string(prKey(pr)))
}

// prLocks are locks by name that a waiter can give up on.
type prLocks struct {
	mu   sync.Mutex
	held map[string]chan struct{} // closed on release
}

func (l *prLocks) lock(ctx context.Context, key string) (func(), error) {
	for {
		l.mu.Lock()
		ch, busy := l.held[key]
		if !busy {
			ch = make(chan struct{})
			l.held[key] = ch
			l.mu.Unlock()
			var once sync.Once
			return func() {
				once.Do(func() {
					l.mu.Lock()
					delete(l.held, key)
					l.mu.Unlock()
					close(ch)
				})
			}, nil
		}
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// InstallationState implements Store.
func (s *Bolt) InstallationState(ctx context.Context, id int64) (string, error) {
	state := Active
	err := s.db.View(func(tx *bolt.Tx) error {
		data := tx.Bucket(bInstallations).Get(idKey(id))
		if data == nil {
			return nil
		}
		var row installationRow
		if err := json.Unmarshal(data, &row); err != nil {
			return err
		}
		state = row.State
		return nil
	})
	return state, err
}

// Prune implements Store.
func (s *Bolt) Prune(ctx context.Context, before time.Time) error {
	return s.update(func(tx *bolt.Tx) error {
		var old [][]byte
		err := tx.Bucket(bDeliveries).ForEach(func(k, v []byte) error {
			var row deliveryRow
			if err := json.Unmarshal(v, &row); err != nil {
				return err
			}
			if row.Received.Before(before) {
				old = append(old, k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := tx.Bucket(bDeliveries).Delete(k); err != nil {
				return err
			}
		}
		var oldJobs []*Job
		err = tx.Bucket(bJobs).ForEach(func(k, v []byte) error {
			j := &Job{}
			if err := json.Unmarshal(v, j); err != nil {
				return err
			}
			if finishable(j.State) && j.Finished.Before(before) {
				oldJobs = append(oldJobs, j)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, j := range oldJobs {
			if err := tx.Bucket(bJobs).Delete(idKey(j.ID)); err != nil {
				return err
			}
			if err := tx.Bucket(bPRJobs).Delete(prJobKey(j)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Ping implements Store.
func (s *Bolt) Ping(ctx context.Context) error {
	return s.db.View(func(tx *bolt.Tx) error { return nil })
}

// Close implements Store.
func (s *Bolt) Close() error { return s.db.Close() }
