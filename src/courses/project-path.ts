// Maps a GitLab project.path_with_namespace to (course, assignment, student).
// Runs for every webhook request, so templates are compiled to regexes once.
import type { Assignment, Course } from './types.ts';

type Placeholder = 'student' | 'assignment';
/** One '/'-separated segment: literal text, optionally with one placeholder inside. */
export interface TemplateSegment { readonly prefix: string; readonly placeholder: Placeholder | null; readonly suffix: string }
export type TemplateResult =
  | { readonly ok: true; readonly segments: readonly TemplateSegment[]; readonly hasAssignment: boolean }
  | { readonly ok: false; readonly message: string };

const SEGMENT = /^([^{}]*)(?:\{([^{}]*)\}([^{}]*))?$/;
const LITERAL = /^[A-Za-z0-9._-]*$/;

export function parseTemplate(template: string): TemplateResult {
  const fail = (message: string): TemplateResult => ({ ok: false, message });
  const segments: TemplateSegment[] = [];
  for (const part of template.split('/')) {
    if (part === '') return fail('empty path segment; expected segments separated by single slashes, e.g. "algo-2026/{assignment}/{student}"');
    const m = SEGMENT.exec(part);
    if (!m) return fail('at most one placeholder per path segment; a segment like "{assignment}-{student}" cannot be split unambiguously');
    const [, prefix = '', name, suffix = ''] = m;
    if (name !== undefined && name !== 'student' && name !== 'assignment') {
      return fail(`unknown placeholder {${name}}; expected {student} or {assignment}`);
    }
    if (!LITERAL.test(prefix) || !LITERAL.test(suffix)) {
      return fail('literal parts may hold only letters, digits, ".", "_" and "-" (GitLab path characters)');
    }
    segments.push({ prefix, placeholder: (name as Placeholder | undefined) ?? null, suffix });
  }
  const count = (p: Placeholder) => segments.filter((s) => s.placeholder === p).length;
  if (count('student') !== 1) return fail('expected exactly one {student} placeholder');
  if (count('assignment') > 1) return fail('expected at most one {assignment} placeholder');
  return { ok: true, segments, hasAssignment: count('assignment') === 1 };
}

function compile(segments: readonly TemplateSegment[]): RegExp {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  const body = segments.map((s) =>
    escape(s.prefix) + (s.placeholder ? `(?<${s.placeholder}>[^/]+)` : '') + escape(s.suffix));
  // GitLab routes paths case-insensitively, so a push may arrive in any case.
  return new RegExp(`^${body.join('/')}$`, 'i');
}

export type ResolveResult =
  | { readonly ok: true; readonly course: Course; readonly assignment: Assignment; readonly student: string; readonly key: string }
  | { readonly ok: false; readonly reason: 'no-course' | 'unknown-assignment'; readonly message: string };

export interface ProjectResolver {
  resolve(pathWithNamespace: string): ResolveResult;
}

interface Route { readonly course: Course; readonly regex: RegExp; readonly bySlug: ReadonlyMap<string, Assignment> }

export function createProjectResolver(courses: readonly Course[]): ProjectResolver {
  const routes: Route[] = courses.map((course) => {
    const t = parseTemplate(course.gitlab.projectPath);
    if (!t.ok) throw new Error(`course ${course.slug}: gitlab.projectPath: ${t.message}`);
    return { course, regex: compile(t.segments), bySlug: new Map(course.assignments.map((a) => [a.slug, a])) };
  });
  return { resolve: (path) => resolveWith(routes, path) };
}

// Courses are tried in load order. A structural match whose assignment the
// course does not know does not stop the search, so an overlapping later
// course that does know it still gets the push.
function resolveWith(routes: readonly Route[], path: string): ResolveResult {
  let unknown: ResolveResult | null = null;
  for (const { course, regex, bySlug } of routes) {
    const groups = regex.exec(path)?.groups;
    if (!groups) continue;
    const student = (groups.student ?? '').toLowerCase();
    const wanted = groups.assignment?.toLowerCase();
    const assignment = wanted === undefined && course.assignments.length === 1
      ? course.assignments[0] : bySlug.get(wanted ?? '');
    if (assignment) {
      return { ok: true, course, assignment, student, key: `${course.slug}:${assignment.slug}:${student}` };
    }
    unknown ??= { ok: false, reason: 'unknown-assignment',
      message: `project "${path}" matches course ${course.slug}, which has no assignment "${wanted ?? ''}"` };
  }
  return unknown ?? { ok: false, reason: 'no-course', message: `no course's gitlab.projectPath matches project "${path}"` };
}

export function coursesBySlug(courses: readonly Course[]): ReadonlyMap<string, Course> {
  return new Map(courses.map((c) => [c.slug, c]));
}

/** Warnings for pairs of courses whose templates can match the same project path. */
export function findTemplateOverlaps(courses: readonly Course[]): string[] {
  const parsed = courses.map((c) => ({ c, t: parseTemplate(c.gitlab.projectPath) }));
  const warnings: string[] = [];
  parsed.forEach(({ c: a, t: ta }, i) => {
    for (const { c: b, t: tb } of parsed.slice(i + 1)) {
      if (!ta.ok || !tb.ok || !templatesOverlap(ta.segments, tb.segments)) continue;
      warnings.push(`courses ${a.slug} (${a.file}) and ${b.slug} (${b.file}) have overlapping ` +
        `gitlab.projectPath templates "${a.gitlab.projectPath}" and "${b.gitlab.projectPath}"; ` +
        `a project matching both goes to ${a.slug} (loaded first) when it has the assignment`);
    }
  });
  return warnings;
}

export function templatesOverlap(a: readonly TemplateSegment[], b: readonly TemplateSegment[]): boolean {
  return a.length === b.length && a.every((s, i) => segmentsOverlap(s, b[i]!));
}

// Exact for these segment shapes: a placeholder matches any non-empty text without '/'.
function segmentsOverlap(x: TemplateSegment, y: TemplateSegment): boolean {
  const [xp, xs, yp, ys] = [x.prefix, x.suffix, y.prefix, y.suffix].map((s) => s.toLowerCase()) as [string, string, string, string];
  if (!x.placeholder && !y.placeholder) return xp === yp;
  if (!x.placeholder || !y.placeholder) {
    const [lit, p, s] = x.placeholder ? [yp, xp, xs] : [xp, yp, ys];
    return lit.length > p.length + s.length && lit.startsWith(p) && lit.endsWith(s);
  }
  return (xp.startsWith(yp) || yp.startsWith(xp)) && (xs.endsWith(ys) || ys.endsWith(xs));
}
