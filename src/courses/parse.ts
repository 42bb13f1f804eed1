// One course file: YAML -> positioned data -> zod + cross checks -> frozen Course.
import { dirname, resolve } from 'node:path';
import { courseWarnings, crossChecks } from './checks.ts';
import { redact } from './interpolate.ts';
import { describeIssue, issueToProblems, valueAt } from './issues.ts';
import { courseSchema } from './schema.ts';
import type { ParsedCourse } from './schema.ts';
import { CourseConfigError } from './types.ts';
import type { Assignment, CheckConfig, Course, CourseProblem, EmailNotify, Env, NotifySettings, WebhookNotify } from './types.ts';
import { formatPath, pathKey, readYaml } from './yaml-tree.ts';
import type { Pos, RawProblem, YamlTree } from './yaml-tree.ts';

export interface FileResult {
  /** null when problems is non-empty. */
  readonly course: Course | null;
  readonly problems: readonly CourseProblem[];
  readonly warnings: readonly string[];
  /** The slug as written (even if the file has problems) and where, for cross-file duplicate reports. */
  readonly slug: string | null;
  readonly slugPos: Pos;
  /** Values that must not appear in any message. */
  readonly secrets: ReadonlySet<string>;
}

/** Parses one course file and throws CourseConfigError listing all its problems. */
export function parseCourse(text: string, file: string, env: Env): Course {
  const r = parseCourseFile(text, file, env);
  if (!r.course) throw new CourseConfigError(r.problems);
  return r.course;
}

export function parseCourseFile(text: string, file: string, env: Env): FileResult {
  const tree = readYaml(text, env);
  const secrets = collectSecrets(tree);
  const toProblem = (p: RawProblem): CourseProblem => ({ file, line: p.pos.line, column: p.pos.column,
    path: formatPath(p.path), message: redact(p.message, secrets) });
  const rawSlug = valueAt(tree.data, ['slug']);
  const slug = typeof rawSlug === 'string' ? rawSlug : null;
  const slugPos = tree.positions.get(pathKey(['slug']))?.value ?? { line: 1, column: 1 };
  if (tree.problems.length > 0) {
    return { course: null, problems: tree.problems.map(toProblem), warnings: [], slug, slugPos, secrets };
  }
  const parsed = courseSchema.safeParse(tree.data, { error: describeIssue });
  const raw = [
    ...(parsed.success ? [] : parsed.error.issues.flatMap((i) => issueToProblems(i, tree))),
    ...crossChecks(tree, dirname(resolve(file))),
  ].sort((a, b) => a.pos.line - b.pos.line || a.pos.column - b.pos.column);
  const warnings = courseWarnings(tree).map((w) => {
    const pos = tree.positions.get(pathKey(w.path))?.value ?? { line: 1, column: 1 };
    return `${file}:${pos.line}:${pos.column}: ${formatPath(w.path)}: ${w.message}`;
  });
  const course = raw.length === 0 && parsed.success ? buildCourse(parsed.data, file) : null;
  return { course, problems: raw.map(toProblem), warnings, slug, slugPos, secrets };
}

// Values that are secret even when written literally rather than taken from env.
const SECRET_PATHS = [
  ['gitlab', 'webhookSecret'], ['notify', 'email', 'smtpUrl'], ['notify', 'webhook', 'secret'], ['notify', 'webhook', 'url'],
] as const;

function collectSecrets(tree: YamlTree): ReadonlySet<string> {
  const literals = SECRET_PATHS.map((path) => valueAt(tree.data, path)).filter((v): v is string => typeof v === 'string');
  return literals.length === 0 ? tree.secrets : new Set([...tree.secrets, ...literals]);
}

function buildCourse(p: ParsedCourse, file: string): Course {
  const baseDir = dirname(resolve(file));
  const gitlab = { projectPath: p.gitlab.projectPath ?? `${p.slug}/{assignment}/{student}` };
  // Non-enumerable: JSON.stringify, console.log and structured logs skip it.
  Object.defineProperty(gitlab, 'webhookSecret', { value: p.gitlab.webhookSecret ?? null, enumerable: false });
  const course: Course = {
    slug: p.slug,
    title: p.title,
    file,
    gitlab: gitlab as Course['gitlab'],
    notify: buildNotify(p.notify),
    assignments: p.assignments.map((a): Assignment => ({ ...a, check: buildCheck(a.check, baseDir) })),
  };
  return deepFreeze(course);
}

// Secrets (and the webhook URL, which often is one) non-enumerable, as webhookSecret above.
function buildNotify(n: ParsedCourse['notify']): NotifySettings {
  const hidden = <T extends object>(visible: T, secrets: Record<string, string | null>): T => {
    for (const [key, value] of Object.entries(secrets)) Object.defineProperty(visible, key, { value, enumerable: false });
    return visible;
  };
  const email = n.email === undefined ? null
    : hidden({ from: n.email.from, to: n.email.to }, { smtpUrl: n.email.smtpUrl }) as EmailNotify;
  const webhook = n.webhook === undefined ? null
    : hidden({}, { url: n.webhook.url, secret: n.webhook.secret ?? null }) as WebhookNotify;
  return { email, webhook };
}

function buildCheck(check: ParsedCourse['assignments'][number]['check'], baseDir: string): CheckConfig | null {
  if (check === null || check.executor === 'gitlab-ci') return check;
  return { ...check, tests: resolve(baseDir, check.tests) };
}

// Dates stay mutable through setTime (internal slots ignore freezing); everything else is locked.
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !(value instanceof Date) && !Object.isFrozen(value)) {
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}
