// Payload schemas of every event type and version. A new version is a new schema beside the
// old one: consumers keep decoding what older producers wrote (replay reads months back).
import { z } from 'zod';

const sha = z.string().regex(/^[0-9a-f]{40}$/, 'expected a 40-character hex commit SHA');
const slug = z.string().min(1).max(255);
const isoTime = z.iso.datetime({ offset: true });
const priority = z.enum(['exam', 'normal', 'regrade']);

export const GitLabPushV1 = z.object({
  deliveryId: z.string().min(1).max(200),
  receivedAt: isoTime,
  course: slug,
  assignment: slug,
  student: slug,
  project: z.object({
    id: z.number().int().nonnegative(),
    path: z.string().min(1).max(1000),
    webUrl: z.string().max(2000).nullable(),
    httpUrl: z.string().max(2000).nullable(),
    defaultBranch: z.string().max(255).nullable(),
  }),
  ref: z.string().min(1).max(1000),
  branch: z.string().max(1000).nullable(),
  before: sha,
  after: sha,
  checkoutSha: sha,
  totalCommits: z.number().int().nonnegative(),
  commits: z
    .array(
      z.object({
        id: sha,
        title: z.string().max(1000),
        timestamp: z.string().max(100).nullable(),
        authorName: z.string().max(500).nullable(),
      }),
    )
    .max(100),
  pusher: z.object({
    id: z.number().int().nullable(),
    username: z.string().max(255).nullable(),
    name: z.string().max(500).nullable(),
  }),
  /** Made by the reconciler from the GitLab API, for a branch head no webhook delivered. */
  reconciled: z.boolean().default(false),
});

export const GitLabEventV1 = z.object({
  deliveryId: z.string().min(1).max(200),
  receivedAt: isoTime,
  /** GitLab's object_kind (job events say `build`). */
  kind: z.string().min(1).max(100),
  course: slug.nullable(),
  assignment: slug.nullable(),
  student: slug.nullable(),
  projectId: z.number().int().nullable(),
  projectPath: z.string().max(1000).nullable(),
  body: z.record(z.string(), z.unknown()),
});

export const PipelineStatusV1 = z.object({
  submissionId: z.uuid(),
  course: slug,
  assignment: slug,
  student: slug,
  commitSha: sha,
  state: z.enum(['queued', 'running', 'passed', 'failed', 'error', 'skipped', 'canceled']),
  /** Why (for skipped/error): what the student is told. */
  reason: z.string().max(2000).nullable(),
  /** Machine-readable reason of a skipped push (wrong-branch, duplicate-commit, superseded, ...). */
  code: z.string().max(100).nullable().default(null),
  projectId: z.number().int().nonnegative().nullable().default(null),
  priority: priority.nullable().default(null),
});

const executor = z.enum(['local', 'gitlab-ci']);

/** A check to run (local executor), on the check.jobs.<priority> topic. */
export const CheckRequestedV1 = z.object({
  checkId: z.uuid(),
  submissionId: z.uuid(),
  course: slug,
  assignment: slug,
  student: slug,
  commitSha: sha,
  projectId: z.number().int().nonnegative(),
  /** Where the runner clones from: the project's HTTP(S) URL, or any URL git accepts. */
  repoUrl: z.string().min(1).max(2000),
  priority,
  attempt: z.number().int().positive(),
  requestedAt: isoTime,
});

const verdict = z.enum(['completed', 'time-limit', 'memory-limit', 'output-limit', 'process-limit', 'no-report', 'system-error']);

/** A finished check: where its test results are, for result-processors to parse and grade. */
export const TestResultV1 = z.object({
  checkId: z.uuid(),
  submissionId: z.uuid(),
  course: slug,
  assignment: slug,
  student: slug,
  commitSha: sha,
  executor,
  verdict,
  /** What the student is told about the verdict (time limit, compile error, ...). */
  message: z.string().max(4000),
  source: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('junit'), reportUris: z.array(z.string().max(2000)).max(100) }),
    z.object({ kind: z.literal('gitlab'), projectId: z.union([z.number().int(), z.string()]), pipelineId: z.number().int() }),
    z.object({ kind: z.literal('none') }),
  ]),
  logUri: z.string().max(2000).nullable(),
  startedAt: isoTime,
  finishedAt: isoTime,
});

export const GradingCompletedV1 = z.object({
  gradeId: z.uuid(),
  submissionId: z.uuid(),
  course: slug,
  assignment: slug,
  student: slug,
  commitSha: sha,
  score: z.number(),
  maxScore: z.number().positive(),
  passed: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  verdict: z.string().max(100),
  /** False for a re-grade that did not change the score: the student is not told again. */
  notify: z.boolean(),
});

export type GitLabPush = z.infer<typeof GitLabPushV1>;
export type GitLabEvent = z.infer<typeof GitLabEventV1>;
export type PipelineStatus = z.infer<typeof PipelineStatusV1>;
export type TestResult = z.infer<typeof TestResultV1>;
export type CheckRequested = z.infer<typeof CheckRequestedV1>;
export type GradingCompleted = z.infer<typeof GradingCompletedV1>;
