-- Submissions created from gitlab.push events. One row per pushed commit of a
-- student project: the same commit pushed again (new event) maps to the same row.
CREATE TABLE submissions (
  id           uuid PRIMARY KEY,
  event_id     uuid NOT NULL UNIQUE,
  course       text NOT NULL,
  assignment   text NOT NULL,
  student      text NOT NULL,
  project_id   bigint NOT NULL,
  project_path text NOT NULL,
  ref          text NOT NULL,
  commit_sha   text NOT NULL CHECK (commit_sha ~ '^[0-9a-f]{40}$'),
  status       text NOT NULL CHECK (status <> ''),
  received_at  timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT submissions_project_commit_key UNIQUE (project_id, commit_sha)
);

-- listSubmissions filters on course[/assignment] or student, newest first.
CREATE INDEX submissions_course_assignment_received_idx
  ON submissions (course, assignment, received_at DESC);
CREATE INDEX submissions_student_received_idx
  ON submissions (student, received_at DESC);
CREATE INDEX submissions_received_idx
  ON submissions (received_at DESC);

-- Inbox: a consumer group records each event it has applied, in the same
-- transaction as its writes, so Kafka redeliveries become no-ops.
CREATE TABLE processed_events (
  consumer_group text NOT NULL,
  event_id       uuid NOT NULL,
  processed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, event_id)
);

-- For pruning old inbox entries by age.
CREATE INDEX processed_events_processed_at_idx ON processed_events (processed_at);

-- Webhook kinds not handled yet (tag push, merge request, pipeline, job),
-- kept verbatim for later work.
CREATE TABLE gitlab_events (
  id           uuid PRIMARY KEY,
  kind         text NOT NULL,
  course       text,
  project_path text,
  received_at  timestamptz NOT NULL,
  payload      jsonb NOT NULL
);

CREATE INDEX gitlab_events_kind_received_idx ON gitlab_events (kind, received_at DESC);
CREATE INDEX gitlab_events_course_received_idx ON gitlab_events (course, received_at DESC)
  WHERE course IS NOT NULL;
