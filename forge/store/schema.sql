-- The state of `lockbot serve`. Postgres runs this file as it is (every
-- statement is idempotent); the bbolt store keeps one bucket per table,
-- each row a JSON object of the same columns under its primary key.

CREATE TABLE IF NOT EXISTS deliveries (
	id       text PRIMARY KEY,        -- X-GitHub-Delivery
	event    text NOT NULL,           -- X-GitHub-Event
	received timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS jobs (
	id           bigserial PRIMARY KEY,
	delivery     text NOT NULL,
	installation bigint NOT NULL,
	owner        text NOT NULL,
	repo         text NOT NULL,
	number       integer NOT NULL,
	head_sha     text NOT NULL,
	reason       text NOT NULL,
	state        text NOT NULL,       -- queued, running, done, failed, dropped
	attempts     integer NOT NULL DEFAULT 0,
	not_before   timestamptz NOT NULL,
	lease_owner  text NOT NULL DEFAULT '',
	lease_until  timestamptz NOT NULL DEFAULT 'epoch',
	error        text NOT NULL DEFAULT '',
	created      timestamptz NOT NULL,
	finished     timestamptz NOT NULL DEFAULT 'epoch'
);

-- The queue: the jobs not finished (the bbolt store's "queue" bucket).
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (not_before, id) WHERE state IN ('queued', 'running');
CREATE INDEX IF NOT EXISTS jobs_delivery ON jobs (delivery);
-- A pull request's jobs, newest last: Enqueue looks for the repeats of a
-- job among them (the bbolt store's "prjobs" bucket).
CREATE INDEX IF NOT EXISTS jobs_pr ON jobs (owner, repo, number, id);

CREATE TABLE IF NOT EXISTS posted (
	owner       text NOT NULL,
	repo        text NOT NULL,
	number      integer NOT NULL,
	fingerprint text NOT NULL,
	comment_id  bigint NOT NULL,      -- 0: listed in a review's body
	path        text NOT NULL,
	line        integer NOT NULL,
	head_sha    text NOT NULL,
	resolved    boolean NOT NULL,
	PRIMARY KEY (owner, repo, number, fingerprint)
);

CREATE TABLE IF NOT EXISTS installations (
	id      bigint PRIMARY KEY,
	account text NOT NULL,
	state   text NOT NULL,            -- active, suspended, deleted
	updated timestamptz NOT NULL
);
