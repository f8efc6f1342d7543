// SPDX-License-Identifier: GPL-2.0-only

// Package store keeps what `lockbot serve` must not lose across restarts:
// the webhook deliveries seen (so that a redelivery is not queued twice),
// the jobs with their leases, the findings posted on each pull request, and
// the state of each installation.
//
// Two implementations share one schema (schema.sql): Bolt, a single bbolt
// file for one replica (the default), and Postgres, for several replicas
// claiming jobs with FOR UPDATE SKIP LOCKED. The same conformance tests run
// against both.
//
// A job is claimed with a lease: a worker that dies, or stalls past its
// lease, loses the job, and the next Claim hands it to another worker.
// Every later write of the first worker (Extend, Finish, Retry) is refused
// with ErrLeaseLost, so a job is finished once, by its current holder.
// Times are passed in by the caller, which keeps leases testable and
// identical across the two implementations.
package store

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"
)

// Job states.
const (
	Queued  = "queued"
	Running = "running"
	Done    = "done"
	Failed  = "failed"
	Dropped = "dropped" // its installation is gone or suspended, or the PR moved on
)

// Job is a unit of work: review one pull request at one head commit.
type Job struct {
	ID           int64     `json:"id"`
	Delivery     string    `json:"delivery"` // the X-GitHub-Delivery that queued it
	Installation int64     `json:"installation"`
	Owner        string    `json:"owner"`
	Repo         string    `json:"repo"`
	Number       int       `json:"number"`
	HeadSHA      string    `json:"head_sha"`
	Reason       string    `json:"reason"` // the event and action: "pull_request.opened", "check_run.rerequested"
	State        string    `json:"state"`
	Attempts     int       `json:"attempts"` // claims so far, the current one included
	NotBefore    time.Time `json:"not_before"`
	LeaseOwner   string    `json:"lease_owner,omitempty"`
	LeaseUntil   time.Time `json:"lease_until"`
	Error        string    `json:"error,omitempty"` // why the last attempt did not finish
	Created      time.Time `json:"created"`
	Finished     time.Time `json:"finished"`
}

// PR names the pull request of the job.
func (j *Job) PR() PR { return PR{Owner: j.Owner, Repo: j.Repo, Number: j.Number} }

// Delivery is a webhook delivery, recorded whether or not it queued work.
type Delivery struct {
	ID       string
	Event    string
	Received time.Time
	// Installation, when set, is the installation state an installation
	// event records. It is written in the delivery's transaction: a
	// redelivery, a duplicate, changes nothing (an old "suspend" sent
	// again does not undo a later "unsuspend").
	Installation *Installation
}

// Installation is an installation's state as a delivery records it.
type Installation struct {
	ID      int64
	Account string
	State   string
}

// PR identifies a pull request.
type PR struct {
	Owner, Repo string
	Number      int
}

// Posted is a finding lockbot said something about on a pull request.
type Posted struct {
	Fingerprint string `json:"fingerprint"`
	// CommentID is the inline review comment; 0 when the finding was
	// listed in a review's body instead (no line of the diff to put it
	// on, or past the comments a review may carry).
	CommentID int64  `json:"comment_id"`
	Path      string `json:"path"`
	Line      int    `json:"line"`
	HeadSHA   string `json:"head_sha"` // the commit it was posted on
	Resolved  bool   `json:"resolved"`
}

// Installation states.
const (
	Active    = "active"
	Suspended = "suspended"
	Deleted   = "deleted"
)

// ErrLeaseLost is a write by a worker whose lease on the job has expired
// (and perhaps passed to another worker), or on a job already finished.
var ErrLeaseLost = errors.New("store: the job's lease is not held by this worker")

// ReplayWindow is how long a job absorbs the identical jobs that later
// deliveries ask for (same installation, pull request, head and reason).
// GitHub signs a delivery's body, not its X-GitHub-Delivery, so a
// captured delivery can be sent again under new IDs; and a push to a head
// already reviewed carries nothing new. A day covers a replay campaign
// while leaving a close and reopen on another day its review.
const ReplayWindow = 24 * time.Hour

// Enqueued is what Enqueue did with a delivery.
type Enqueued struct {
	// Dup is a delivery recorded before: nothing was done.
	Dup bool
	// Queued counts the jobs queued; Repeats those left out because an
	// identical job is queued, running, or finished within ReplayWindow
	// with no job of another head of its pull request since.
	Queued, Repeats int
}

// repeatable reports whether a job of reason is a deliberate request to
// run again, which a finished identical job does not absorb: a person's
// "Re-run" of a check. Only one still queued or running does.
func repeatable(reason string) bool { return strings.HasSuffix(reason, ".rerequested") }

// Store is the state of the App. Implementations are safe for concurrent use.
type Store interface {
	// Enqueue records a delivery (and the installation state it carries)
	// and queues its jobs, in one transaction. A delivery already
	// recorded queues and records nothing (Dup). A job identical to one
	// queued or running, or finished within ReplayWindow of the
	// delivery's receipt (not for a repeatable reason) with no job of
	// another head of the pull request created since, is not queued
	// (Repeats): a replayed delivery costs no review.
	Enqueue(ctx context.Context, d Delivery, jobs []Job) (Enqueued, error)
	// Claim leases the oldest job that is ready at now (queued and due, or
	// running with an expired lease) to worker until now+lease, counting
	// an attempt. It returns nil when no job is ready.
	Claim(ctx context.Context, worker string, now time.Time, lease time.Duration) (*Job, error)
	// Extend moves the lease of a job the worker holds to until.
	Extend(ctx context.Context, id int64, worker string, until time.Time) error
	// Finish ends a job the worker holds in state Done, Failed or Dropped.
	Finish(ctx context.Context, id int64, worker, state, msg string, now time.Time) error
	// Retry puts a job the worker holds back in the queue, due at
	// notBefore. refund gives back the attempt (a rate limit is not the
	// job's fault).
	Retry(ctx context.Context, id int64, worker string, notBefore time.Time, msg string, refund bool) error
	// Job reads one job.
	Job(ctx context.Context, id int64) (*Job, error)
	// Jobs lists the jobs of a delivery.
	Jobs(ctx context.Context, delivery string) ([]*Job, error)
	// Counts counts the jobs in each state.
	Counts(ctx context.Context) (map[string]int, error)

	// Posted is what was said on a pull request, by fingerprint.
	Posted(ctx context.Context, pr PR) (map[string]Posted, error)
	// SavePosted adds or replaces records of a pull request.
	SavePosted(ctx context.Context, pr PR, ps []Posted) error
	// LockPR waits (until ctx ends) for a pull request's lock, held by
	// one job at a time across all the store's users, and returns its
	// release. A job reads what was posted and posts under it, so two
	// jobs of one PR (a "Re-run" while the push's review runs) do not
	// both post the same findings. A holder that dies releases it.
	LockPR(ctx context.Context, pr PR) (unlock func(), err error)

	// SetInstallation records an installation's state.
	SetInstallation(ctx context.Context, id int64, account, state string, now time.Time) error
	// InstallationState is Active for an installation never recorded.
	InstallationState(ctx context.Context, id int64) (string, error)

	// Prune forgets deliveries received and jobs finished before t.
	Prune(ctx context.Context, before time.Time) error
	Ping(ctx context.Context) error
	Close() error
}

// Open opens the store a --db value names: a postgres:// or postgresql://
// URL, else a bbolt file path.
func Open(ctx context.Context, dsn string) (Store, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return OpenPostgres(ctx, dsn)
	}
	return OpenBolt(dsn)
}

// Describe names the store a --db value opens, for logs: a URL's password
// is hidden.
func Describe(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		return u.Redacted()
	}
	return dsn
}

func finishable(state string) bool {
	return state == Done || state == Failed || state == Dropped
}

// ready reports whether a job may be claimed at now.
func ready(j *Job, now time.Time) bool {
	switch j.State {
	case Queued:
		return !j.NotBefore.After(now)
	case Running:
		return !j.LeaseUntil.After(now)
	}
	return false
}

// absorbs reports whether e, an earlier job of j's pull request, makes j
// a repeat: the same work, still to do, or done within ReplayWindow of
// received.
func absorbs(e, j *Job, received time.Time) bool {
	if e.Installation != j.Installation || e.HeadSHA != j.HeadSHA || e.Reason != j.Reason {
		return false
	}
	if e.State == Queued || e.State == Running {
		return true
	}
	return !repeatable(j.Reason) && !e.Finished.Before(received.Add(-ReplayWindow))
}
