// Loads every course file of a directory at start-up. All problems of all
// files are collected before failing, so a teacher fixes them in one round.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { redact } from './interpolate.ts';
import { parseCourseFile } from './parse.ts';
import type { FileResult } from './parse.ts';
import { findTemplateOverlaps } from './project-path.ts';
import { CourseConfigError } from './types.ts';
import type { Course, CourseProblem, Env } from './types.ts';

export interface LoadCoursesOptions {
  readonly dir: string;
  /** Source of ${VAR} values; passed in so tests and callers control it (process.env is never read). */
  readonly env: Env;
}

export interface LoadedCourses {
  /** In file-name order, which is also the routing priority for overlapping templates. */
  readonly courses: Course[];
  readonly warnings: string[];
}

export async function loadCourses({ dir, env }: LoadCoursesOptions): Promise<LoadedCourses> {
  const files = await listCourseFiles(dir);
  if (files.length === 0) return { courses: [], warnings: [`no course files (*.yaml, *.yml) in ${dir}`] };
  const results: { file: string; r: FileResult }[] = [];
  for (const file of files) {
    results.push({ file, r: parseCourseFile(await readFile(file, 'utf8'), file, env) });
  }
  const order = new Map(files.map((f, i) => [f, i]));
  const problems = [...results.flatMap(({ r }) => r.problems), ...duplicateCourseSlugs(results)]
    .sort((a, b) => order.get(a.file)! - order.get(b.file)! || a.line - b.line || a.column - b.column);
  if (problems.length > 0) {
    const secrets = results.flatMap(({ r }) => [...r.secrets]);
    throw new CourseConfigError(problems.map((p) => ({ ...p, message: redact(p.message, secrets) })));
  }
  const courses = results.map(({ r }) => r.course).filter((c): c is Course => c !== null);
  return { courses, warnings: [...results.flatMap(({ r }) => r.warnings), ...findTemplateOverlaps(courses)] };
}

async function listCourseFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    // Sorted, so load order (and routing priority) does not depend on the file system.
    // Dot-files are skipped: editors leave swap and backup copies there.
    return entries
      .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name) && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort()
      .map((name) => join(dir, name));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a directory' : `cannot be read (${code})`;
    throw new CourseConfigError([{ file: dir, line: 0, column: 0, path: '',
      message: `courses directory ${what}; expected a directory of *.yaml / *.yml course files` }]);
  }
}

function duplicateCourseSlugs(results: readonly { file: string; r: FileResult }[]): CourseProblem[] {
  const first = new Map<string, { file: string; line: number }>();
  const out: CourseProblem[] = [];
  for (const { file, r } of results) {
    if (r.slug === null) continue;
    const seen = first.get(r.slug);
    if (!seen) {
      first.set(r.slug, { file, line: r.slugPos.line });
      continue;
    }
    out.push({ file, line: r.slugPos.line, column: r.slugPos.column, path: 'slug',
      message: `duplicate course slug '${r.slug}', already used by ${seen.file}:${seen.line}; expected unique course slugs` });
  }
  return out;
}
