-- Grading: what the orchestrator decided about each push, the checks it started, the grades
-- computed from their results, and the notifications sent. Every table is written
-- idempotently (natural unique keys), so a redelivered event has no second effect.

-- A submission's decision and the six times of its life (received is received_at).
ALTER TABLE submissions
  ADD COLUMN branch          text,
  ADD COLUMN project_web_url text,
  ADD COLUMN repo_url        text,
  ADD COLUMN priority        text CHECK (priority IN ('exam', 'normal', 'regrade')),
  ADD COLUMN late            boolean NOT NULL DEFAULT false,
  -- Why a push was not checked (wrong-branch, after-cutoff, superseded, ...) and what the student is told.
  ADD COLUMN reason          text,
  ADD COLUMN reason_message  text,
  ADD COLUMN queued_at       timestamptz,
  ADD COLUMN started_at      timestamptz,
  ADD COLUMN finished_at     timestamptz,
  ADD COLUMN graded_at       timestamptz,
  ADD COLUMN notified_at     timestamptz;

-- Attempt limits and "already checked" look at one student's work on one assignment.
CREATE INDEX submissions_key_received_idx ON submissions (course, assignment, student, received_at);
-- Queue position: how many checks wait ahead of one.
CREATE INDEX submissions_queued_idx ON submissions (queued_at) WHERE status = 'queued';

-- Every push event the orchestrator handled, with its outcome: a push that is not checked is
-- still recorded with the reason (a duplicate commit has no submission row of its own).
CREATE TABLE pushes (
  event_id      uuid PRIMARY KEY,
  submission_id uuid REFERENCES submissions (id),
  course        text NOT NULL,
  assignment    text NOT NULL,
  student       text NOT NULL,
  commit_sha    text NOT NULL,
  ref           text NOT NULL,
  outcome       text NOT NULL CHECK (outcome IN ('admitted', 'refused')),
  reason        text,
  message       text,
  received_at   timestamptz NOT NULL
);
CREATE INDEX pushes_key_idx ON pushes (course, assignment, student, received_at);

-- One check run of a submission; attempt 2.. are retries of infrastructure failures and
-- re-grades. For gitlab-ci, pipeline_id links the pipeline webhooks back to the check.
CREATE TABLE checks (
  id              uuid PRIMARY KEY,
  submission_id   uuid NOT NULL REFERENCES submissions (id),
  attempt         integer NOT NULL CHECK (attempt > 0),
  executor        text NOT NULL CHECK (executor IN ('local', 'gitlab-ci')),
  priority        text NOT NULL CHECK (priority IN ('exam', 'normal', 'regrade')),
  status          text NOT NULL CHECK (status IN ('queued', 'running', 'finished', 'superseded', 'error', 'timed-out')),
  gitlab_project  text,
  pipeline_id     bigint,
  verdict         text,
  message         text,
  log_uri         text,
  report_uris     jsonb NOT NULL DEFAULT '[]',
  queued_at       timestamptz NOT NULL,
  started_at      timestamptz,
  finished_at     timestamptz,
  CONSTRAINT checks_submission_attempt_key UNIQUE (submission_id, attempt)
);
CREATE UNIQUE INDEX checks_pipeline_idx ON checks (gitlab_project, pipeline_id) WHERE pipeline_id IS NOT NULL;
CREATE INDEX checks_running_idx ON checks (executor, started_at) WHERE status IN ('queued', 'running');

-- One grade per (submission, test-suite version, policy version): a re-grade after a test or
-- policy change is a new grade; the same results delivered twice are the same grade.
CREATE TABLE grades (
  id                   uuid PRIMARY KEY,
  submission_id        uuid NOT NULL REFERENCES submissions (id),
  check_id             uuid NOT NULL REFERENCES checks (id),
  suite_version        text NOT NULL,
  policy_version       text NOT NULL,
  course               text NOT NULL,
  assignment           text NOT NULL,
  student              text NOT NULL,
  score                double precision NOT NULL,
  max_score            double precision NOT NULL,
  raw_score            double precision NOT NULL,
  late_penalty_percent double precision NOT NULL DEFAULT 0,
  passed               integer NOT NULL,
  total                integer NOT NULL,
  verdict              text NOT NULL,
  message              text,
  graded_at            timestamptz NOT NULL,
  CONSTRAINT grades_version_key UNIQUE (submission_id, suite_version, policy_version)
);
CREATE INDEX grades_key_idx ON grades (course, assignment, student);

CREATE TABLE test_results (
  grade_id     uuid NOT NULL REFERENCES grades (id),
  position     integer NOT NULL,
  name         text NOT NULL,
  status       text NOT NULL CHECK (status IN ('passed', 'failed', 'error', 'skipped')),
  points       double precision NOT NULL,
  max_points   double precision NOT NULL,
  time_seconds double precision,
  message      text,
  PRIMARY KEY (grade_id, position)
);

-- One notification per grade (or status) and channel: what makes "never twice" hold when a
-- grading.completed event is delivered again.
CREATE TABLE notifications (
  key        text NOT NULL,
  channel    text NOT NULL,
  sent_at    timestamptz NOT NULL DEFAULT now(),
  detail     text,
  PRIMARY KEY (key, channel)
);
