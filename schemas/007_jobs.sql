-- pb-run: each run of a job file for a month, and each attempt of each of its steps.

-- A run of a job. running: pb-run is at work (or died; the next run of the job and month that takes the
-- lock marks it failed); failed: a step failed, or pb-run could not go on; interrupted: pb-run was
-- stopped by a signal. exit_status is pb-run's own. run_by: "user@host pid N". job_file and job_sha256:
-- the job file as given on the command line, and the SHA-256 of the text read from it.
CREATE TABLE pb.job_run (
	id bigserial PRIMARY KEY,
	job text NOT NULL CHECK (job <> ''),
	month date NOT NULL CHECK (extract(day FROM month) = 1),
	as_of date NOT NULL,
	status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
	started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	finished_at timestamptz,
	exit_status integer,
	run_by text NOT NULL,
	job_file text NOT NULL,
	job_sha256 text NOT NULL CHECK (job_sha256 ~ '^[0-9a-f]{64}$'),
	error text,
	CHECK ((status = 'running') = (finished_at IS NULL))
);

CREATE INDEX job_run_job ON pb.job_run (job, month);
CREATE INDEX job_run_succeeded ON pb.job_run (job, finished_at) WHERE status = 'succeeded';

-- One attempt of one step: seq is the step's place in the job file (1 for the first), attempt counts from
-- 1 (a retry after exit status 3 is attempt 2). argv: the program and arguments after substitution, with
-- ${env:NAME} left as written so that no secret is stored. exit_status when the step exited, signal when a
-- signal ended it. stderr_tail: the last 4 KiB of its standard error.
CREATE TABLE pb.job_step (
	run_id bigint NOT NULL REFERENCES pb.job_run (id) ON DELETE CASCADE,
	seq integer NOT NULL CHECK (seq >= 1),
	name text NOT NULL CHECK (name <> ''),
	attempt integer NOT NULL CHECK (attempt >= 1),
	argv text[] NOT NULL CHECK (cardinality(argv) >= 1),
	status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'timed_out', 'interrupted')),
	started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	finished_at timestamptz,
	exit_status integer,
	signal integer,
	stderr_tail text NOT NULL DEFAULT '',
	PRIMARY KEY (run_id, seq, attempt),
	CHECK ((status = 'running') = (finished_at IS NULL))
);
