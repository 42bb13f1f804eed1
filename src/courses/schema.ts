// The shape of a course file. Field-local rules live here; rules that span
// fields of different assignments or need the file system live in checks.ts,
// which runs on the raw data so they are reported even when zod fails.
import * as z from 'zod';
import { parseDateTime } from './dates.ts';

export const SLUG_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const COUNTS = ['best', 'last', 'lastBeforeDeadline'] as const;
export const EXECUTORS = ['local', 'gitlab-ci'] as const;

const slug = z.string().regex(SLUG_RE,
  'expected a lowercase slug: a-z or 0-9, then up to 62 of a-z 0-9 . _ -');
const text = z.string().trim().min(1, 'must not be empty');

const dateTime = z.string({
  error: (iss) => iss.input === undefined ? undefined
    : 'expected a date-time with a timezone offset, e.g. 2026-12-01T23:59:00+03:00',
}).transform((s, ctx) => {
  const r = parseDateTime(s);
  if (r.ok) return r.date;
  ctx.issues.push({ code: 'custom', message: r.message, input: s });
  return z.NEVER;
});

// Close to `git check-ref-format`: no whitespace, no ~^:?*[\ , no leading - or /.
const branch = z.string().regex(/^(?![-/])(?!.*\.\.)[^\s~^:?*[\\]+(?<![/.])$/,
  'expected a git branch name, e.g. main');
const positiveInt = (max: number) => z.number().int().min(1).max(max);
const timeoutSeconds = z.number().int().min(1).max(3600).default(60);
const report = text.default('report.xml');

const late = z.strictObject({
  penaltyPercentPerDay: z.number().min(0).max(100).default(0),
  cutoff: dateTime,
});

const attempts = z.strictObject({
  perHour: positiveInt(1_000_000).nullable().default(null),
  max: positiveInt(1_000_000).nullable().default(null),
});

const localCheck = z.strictObject({
  executor: z.literal('local'),
  tests: text,
  command: text,
  report,
  timeoutSeconds,
  memoryMb: z.number().int().min(64).max(16384).default(512),
});

const ciCheck = z.strictObject({
  executor: z.literal('gitlab-ci'),
  project: z.union([text, z.number().int().positive()],
    { error: 'expected a project path (group/project) or a numeric project id' }).nullable().default(null),
  ref: branch.nullable().default(null),
  variables: z.record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a CI variable name: letters, digits, _'),
    z.string({ error: (iss) => iss.input === undefined ? undefined
      : 'expected a string; quote numbers and booleans' }),
  ).default({}),
  report,
  timeoutSeconds,
});

function withDefaultExecutor(value: unknown): unknown {
  const isRecord = typeof value === 'object' && value !== null && !Array.isArray(value);
  return isRecord && !('executor' in value) ? { executor: 'local', ...value } : value;
}

const check = z.preprocess(withDefaultExecutor, z.discriminatedUnion('executor', [localCheck, ciCheck]));

const scoring = z.strictObject({
  maxScore: z.number().positive().default(100),
  weights: z.record(z.string().min(1, 'a test-name pattern must not be empty'), z.number().min(0)).default({}),
  default: z.number().min(0).default(1),
});

const assignment = z.strictObject({
  slug,
  title: text,
  opens: dateTime.nullable().default(null),
  deadline: dateTime,
  exam: z.boolean().default(false),
  branch: branch.nullable().default(null),
  counts: z.enum(COUNTS).default('best'),
  late: late.nullable().default(null),
  // prefault (not default): zod 4 returns a default as-is, prefault parses it, filling inner defaults.
  attempts: attempts.prefault({}),
  check: check.nullable().default(null),
  scoring: scoring.prefault({}),
}).superRefine((a, ctx) => {
  if (a.opens && a.opens.getTime() >= a.deadline.getTime()) {
    ctx.addIssue({ code: 'custom', path: ['opens'], message: 'opens must be earlier than deadline' });
  }
  if (a.late && a.late.cutoff.getTime() < a.deadline.getTime()) {
    ctx.addIssue({ code: 'custom', path: ['late', 'cutoff'], message: 'late.cutoff must not be earlier than deadline' });
  }
});

const gitlab = z.strictObject({
  projectPath: text.optional(),
  webhookSecret: z.string().min(1).optional(),
});

// Messages below never quote the value: an SMTP URL carries a password, a chat webhook URL
// often carries its token in the path.
const urlWith = (protocols: readonly string[], message: string) => z.string().refine((value) => {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, message);

const emailNotify = z.strictObject({
  from: text,
  /** "{student}" is replaced by the student's slug; no other placeholder exists. */
  to: text.refine((t) => t.replaceAll('{student}', '').search(/[{}]/) === -1,
    'the only placeholder is {student}, e.g. "{student}@uni.example"'),
  smtpUrl: urlWith(['smtp:', 'smtps:'], 'expected an smtp:// or smtps:// URL, e.g. smtp://user:password@mail.example:587'),
});

const webhookNotify = z.strictObject({
  url: urlWith(['http:', 'https:'], 'expected an http:// or https:// URL'),
  secret: z.string().min(1).optional(),
});

const notify = z.strictObject({
  email: emailNotify.optional(),
  webhook: webhookNotify.optional(),
});

export const courseSchema = z.strictObject({
  slug,
  title: text,
  gitlab: gitlab.prefault({}),
  notify: notify.prefault({}),
  assignments: z.array(assignment).default([]),
});

export type ParsedCourse = z.output<typeof courseSchema>;

/** Keys each mapping accepts, for unknown-key hints. */
export const KNOWN_KEYS = {
  course: Object.keys(courseSchema.shape),
  gitlab: Object.keys(gitlab.shape),
  notify: Object.keys(notify.shape),
  email: Object.keys(emailNotify.shape),
  webhook: Object.keys(webhookNotify.shape),
  assignment: Object.keys(assignment.shape),
  late: Object.keys(late.shape),
  attempts: Object.keys(attempts.shape),
  localCheck: Object.keys(localCheck.shape),
  ciCheck: Object.keys(ciCheck.shape),
  scoring: Object.keys(scoring.shape),
} as const;
