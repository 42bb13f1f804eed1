// Payload schemas of every event type and version. A new version is a new schema beside the
// old one: consumers keep decoding what older producers wrote (replay reads months back).
import { z } from 'zod';

const sha = z.string().regex(/^[0-9a-f]{40}$/, 'expected a 40-character hex commit SHA');
const slug = z.string().min(1).max(255);
const isoTime = z.iso.datetime({ offset: true });

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
  reason: z.string().max(2000).nullable(),
});

const testStatus = z.enum(['passed', 'failed', 'error', 'skipped']);

export const TestResultV1 = z.object({
  submissionId: z.uuid(),
  course: slug,
  assignment: slug,
  student: slug,
  commitSha: sha,
  verdict: z.string().max(100),
  tests: z
    .array(
      z.object({
        name: z.string().max(2000),
        status: testStatus,
        timeSeconds: z.number().nonnegative().nullable(),
        message: z.string().max(10_000).nullable(),
      }),
    )
    .max(100_000),
  reportUri: z.string().max(2000).nullable(),
  logUri: z.string().max(2000).nullable(),
});

export const GradingCompletedV1 = z.object({
  submissionId: z.uuid(),
  gradeId: z.uuid(),
  course: slug,
  assignment: slug,
  student: slug,
  commitSha: sha,
  score: z.number(),
  maxScore: z.number().positive(),
  passed: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  verdict: z.string().max(100),
});

export type GitLabPush = z.infer<typeof GitLabPushV1>;
export type GitLabEvent = z.infer<typeof GitLabEventV1>;
export type PipelineStatus = z.infer<typeof PipelineStatusV1>;
export type TestResult = z.infer<typeof TestResultV1>;
export type GradingCompleted = z.infer<typeof GradingCompletedV1>;
