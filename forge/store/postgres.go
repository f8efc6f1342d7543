// SPDX-License-Identifier: GPL-2.0-only

package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed schema.sql
var schema string

// Postgres is the store in a PostgreSQL database, shared by replicas:
// each claims jobs with FOR UPDATE SKIP LOCKED, so two never take the
// same job and none waits for another's claim.
type Postgres struct {
	pool *pgxpool.Pool
}

// schemaLock serialises the creation of the tables by replicas starting
// together (CREATE TABLE IF NOT EXISTS races with itself).
const schemaLock = 0x6c6f636b626f74 // "lockbot"

// OpenPostgres connects to the database at url and creates the tables
// that are missing.
func OpenPostgres(ctx context.Context, url string) (*Postgres, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(schemaLock)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, schema)
		return err
	})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: creating the tables: %w", err)
	}
	return &Postgres{pool: pool}, nil
}

const jobColumns = `id, delivery, installation, owner, repo, number, head_sha, reason, state, attempts,
	not_before, lease_owner, lease_until, error, created, finished`

func scanJob(row pgx.Row) (*Job, error) {
	j := &Job{}
	err := row.Scan(&j.ID, &j.Delivery, &j.Installation, &j.Owner, &j.Repo, &j.Number, &j.HeadSHA, &j.Reason,
		&j.State, &j.Attempts, &j.NotBefore, &j.LeaseOwner, &j.LeaseUntil, &j.Error, &j.Created, &j.Finished)
	if err != nil {
		return nil, err
	}
	return j, nil
}

// enqueueLockClass is the first key of the transaction locks that
// serialise the enqueueing of a pull request's jobs, so that two replays
// stored at once do not both find no job before them. It is not
// prLockClass: a job holds that one while it runs.
const enqueueLockClass = int32(0x6c65) // "le"

// Enqueue implements Store.
func (s *Postgres) Enqueue(ctx context.Context, d Delivery, jobs []Job) (Enqueued, error) {
	var res Enqueued
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		res = Enqueued{}
		tag, err := tx.Exec(ctx, `INSERT INTO deliveries (id, event, received) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
			d.ID, d.Event, d.Received)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			res.Dup = true
			return nil
		}
		if in := d.Installation; in != nil {
			if err := setInstallation(ctx, tx, in.ID, in.Account, in.State, d.Received); err != nil {
				return err
			}
		}
		// In one order, so that two deliveries naming the same pull
		// requests do not deadlock.
		keys := make([]string, 0, len(jobs))
		for _, j := range jobs {
			keys = append(keys, string(prKey(j.PR())))
		}
		slices.Sort(keys)
		for _, k := range slices.Compact(keys) {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, enqueueLockClass, k); err != nil {
				return err
			}
		}
		for _, j := range jobs {
			again, err := pgRepeat(ctx, tx, &j, d.Received)
			if err != nil {
				return err
			}
			if again {
				res.Repeats++
				continue
			}
			created := j.Created
			if created.IsZero() {
				created = d.Received
			}
			notBefore := j.NotBefore
			if notBefore.IsZero() {
				notBefore = created
			}
			_, err = tx.Exec(ctx, `INSERT INTO jobs (delivery, installation, owner, repo, number, head_sha, reason, state, not_before, created)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				d.ID, j.Installation, j.Owner, j.Repo, j.Number, j.HeadSHA, j.Reason, Queued, notBefore, created)
			if err != nil {
				return err
			}
			res.Queued++
		}
		return nil
	})
	if err != nil {
		return Enqueued{}, fmt.Errorf("store: enqueue %s: %w", d.ID, err)
	}
	return res, nil
}

// pgRepeat is Bolt's repeat in SQL: whether a job identical to j absorbs
// it, with no job of another head of the pull request created since.
func pgRepeat(ctx context.Context, tx pgx.Tx, j *Job, received time.Time) (bool, error) {
	var again bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (
		SELECT 1 FROM jobs e
		WHERE e.owner = $1 AND e.repo = $2 AND e.number = $3 AND e.installation = $4 AND e.head_sha = $5 AND e.reason = $6
			AND (e.state IN ('queued', 'running') OR (NOT $7 AND e.finished >= $8))
			AND NOT EXISTS (SELECT 1 FROM jobs n
				WHERE n.owner = $1 AND n.repo = $2 AND n.number = $3 AND n.id > e.id AND n.head_sha <> $5))`,
		j.Owner, j.Repo, j.Number, j.Installation, j.HeadSHA, j.Reason, repeatable(j.Reason), received.Add(-ReplayWindow)).Scan(&again)
	if err != nil {
		return false, fmt.Errorf("looking for a repeat of %s/%s#%d: %w", j.Owner, j.Repo, j.Number, err)
	}
	return again, nil
}

// Claim implements Store.
func (s *Postgres) Claim(ctx context.Context, worker string, now time.Time, lease time.Duration) (*Job, error) {
	j, err := scanJob(s.pool.QueryRow(ctx, `
		UPDATE jobs SET state = 'running', lease_owner = $1, lease_until = $3, attempts = attempts + 1
		WHERE id = (
			SELECT id FROM jobs
			WHERE (state = 'queued' AND not_before <= $2) OR (state = 'running' AND lease_until <= $2)
			ORDER BY not_before, id
			LIMIT 1
			FOR UPDATE SKIP LOCKED)
		RETURNING `+jobColumns, worker, now, now.Add(lease)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: claim: %w", err)
	}
	return j, nil
}

// Extend implements Store.
func (s *Postgres) Extend(ctx context.Context, id int64, worker string, until time.Time) error {
	return s.heldExec(ctx, "extend", id, `UPDATE jobs SET lease_until = $3 WHERE id = $1 AND lease_owner = $2 AND state = 'running'`,
		id, worker, until)
}

// Finish implements Store.
func (s *Postgres) Finish(ctx context.Context, id int64, worker, state, msg string, now time.Time) error {
	if !finishable(state) {
		return fmt.Errorf("store: %q is not a final state", state)
	}
	return s.heldExec(ctx, "finish", id, `UPDATE jobs SET state = $3, error = $4, finished = $5, lease_owner = ''
		WHERE id = $1 AND lease_owner = $2 AND state = 'running'`, id, worker, state, msg, now)
}

// Retry implements Store.
func (s *Postgres) Retry(ctx context.Context, id int64, worker string, notBefore time.Time, msg string, refund bool) error {
	return s.heldExec(ctx, "retry", id, `UPDATE jobs SET state = 'queued', not_before = $3, error = $4, lease_owner = '',
		lease_until = 'epoch', attempts = CASE WHEN $5 AND attempts > 0 THEN attempts - 1 ELSE attempts END
		WHERE id = $1 AND lease_owner = $2 AND state = 'running'`, id, worker, notBefore, msg, refund)
}

// heldExec runs an update guarded by the worker's lease.
func (s *Postgres) heldExec(ctx context.Context, what string, id int64, sql string, args ...any) error {
	tag, err := s.pool.Exec(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("store: %s job %d: %w", what, id, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrLeaseLost
	}
	return nil
}

// Job implements Store.
func (s *Postgres) Job(ctx context.Context, id int64) (*Job, error) {
	j, err := scanJob(s.pool.QueryRow(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("store: job %d: %w", id, err)
	}
	return j, nil
}

// Jobs implements Store.
func (s *Postgres) Jobs(ctx context.Context, delivery string) ([]*Job, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+jobColumns+` FROM jobs WHERE delivery = $1 ORDER BY id`, delivery)
	if err != nil {
		return nil, fmt.Errorf("store: jobs of %s: %w", delivery, err)
	}
	defer rows.Close()
	var out []*Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// Counts implements Store.
func (s *Postgres) Counts(ctx context.Context) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT state, count(*) FROM jobs GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("store: counts: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, err
		}
		counts[state] = n
	}
	return counts, rows.Err()
}

// Posted implements Store.
func (s *Postgres) Posted(ctx context.Context, pr PR) (map[string]Posted, error) {
	rows, err := s.pool.Query(ctx, `SELECT fingerprint, comment_id, path, line, head_sha, resolved FROM posted
		WHERE owner = $1 AND repo = $2 AND number = $3`, pr.Owner, pr.Repo, pr.Number)
	if err != nil {
		return nil, fmt.Errorf("store: posted: %w", err)
	}
	defer rows.Close()
	out := map[string]Posted{}
	for rows.Next() {
		var p Posted
		if err := rows.Scan(&p.Fingerprint, &p.CommentID, &p.Path, &p.Line, &p.HeadSHA, &p.Resolved); err != nil {
			return nil, err
		}
		out[p.Fingerprint] = p
	}
	return out, rows.Err()
}

// SavePosted implements Store.
func (s *Postgres) SavePosted(ctx context.Context, pr PR, ps []Posted) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, p := range ps {
			_, err := tx.Exec(ctx, `INSERT INTO posted (owner, repo, number, fingerprint, comment_id, path, line, head_sha, resolved)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
				ON CONFLICT (owner, repo, number, fingerprint) DO UPDATE SET comment_id = $5, path = $6, line = $7,
					head_sha = $8, resolved = $9`,
				pr.Owner, pr.Repo, pr.Number, p.Fingerprint, p.CommentID, p.Path, p.Line, p.HeadSHA, p.Resolved)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: save posted: %w", err)
	}
	return nil
}

// SetInstallation implements Store.
func (s *Postgres) SetInstallation(ctx context.Context, id int64, account, state string, now time.Time) error {
	return setInstallation(ctx, s.pool, id, account, state, now)
}

func setInstallation(ctx context.Context, db interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, id int64, account, state string, now time.Time) error {
	_, err := db.Exec(ctx, `INSERT INTO installations (id, account, state, updated) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET account = $2, state = $3, updated = $4`, id, account, state, now)
	if err != nil {
		return fmt.Errorf("store: installation %d: %w", id, err)
	}
	return nil
}

// prLockClass is the first key of the pull requests' advisory locks (the
// two-key space does not overlap schemaLock's one-key space).
const prLockClass = int32(0x6c6b) // "lk"

// LockPR implements Store: a session advisory lock, on a connection of
// its own rather than the pool's (holders waiting for the pool while
// holding its connections would deadlock), closed to release it, which
// the server also does when the holder dies.
func (s *Postgres) LockPR(ctx context.Context, pr PR) (func(), error) {
	key := pr.Owner + "/" + pr.Repo + "#" + strconv.Itoa(pr.Number)
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("store: locking %s: %w", key, err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, prLockClass, key); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("store: locking %s: %w", key, err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			conn.Close(ctx)
		})
	}, nil
}

// InstallationState implements Store.
func (s *Postgres) InstallationState(ctx context.Context, id int64) (string, error) {
	var state string
	err := s.pool.QueryRow(ctx, `SELECT state FROM installations WHERE id = $1`, id).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return Active, nil
	}
	if err != nil {
		return "", fmt.Errorf("store: installation %d: %w", id, err)
	}
	return state, nil
}

// Prune implements Store.
func (s *Postgres) Prune(ctx context.Context, before time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM deliveries WHERE received < $1`, before); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM jobs WHERE state IN ('done', 'failed', 'dropped') AND finished < $1`, before)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: prune: %w", err)
	}
	return nil
}

// Ping implements Store.
func (s *Postgres) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Close implements Store.
func (s *Postgres) Close() error {
	s.pool.Close()
	return nil
}
