// Rules that span several fields or touch the file system. They read the raw
// (unvalidated) data defensively, so they are reported together with schema
// errors elsewhere in the file instead of only after those are fixed.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseTemplate } from './project-path.ts';
import { valueAt } from './issues.ts';
import { pathKey } from './yaml-tree.ts';
import type { PathSeg, RawProblem, YamlTree } from './yaml-tree.ts';

type Raw = Record<string, unknown>;
const isRaw = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

function rawAssignments(tree: YamlTree): Raw[] {
  const list = valueAt(tree.data, ['assignments']);
  return Array.isArray(list) ? list.map((a) => (isRaw(a) ? a : {})) : [];
}

export function crossChecks(tree: YamlTree, baseDir: string): RawProblem[] {
  return [...duplicateSlugs(tree), ...templateRules(tree), ...missingTests(tree, baseDir)];
}

function problemAt(tree: YamlTree, path: PathSeg[], message: string): RawProblem {
  const pos = tree.positions.get(pathKey(path))?.value ?? { line: 1, column: 1 };
  return { path, pos, message };
}

function duplicateSlugs(tree: YamlTree): RawProblem[] {
  const firstLine = new Map<string, number>();
  const out: RawProblem[] = [];
  rawAssignments(tree).forEach((a, i) => {
    if (typeof a.slug !== 'string') return;
    const path = ['assignments', i, 'slug'];
    const line = tree.positions.get(pathKey(path))?.value.line ?? 0;
    const first = firstLine.get(a.slug);
    if (first === undefined) firstLine.set(a.slug, line);
    else out.push(problemAt(tree, path, `duplicate assignment slug '${a.slug}' (first used on line ${first}); expected unique slugs`));
  });
  return out;
}

function templateRules(tree: YamlTree): RawProblem[] {
  const template = valueAt(tree.data, ['gitlab', 'projectPath']);
  if (typeof template !== 'string' || template.trim() === '') return [];
  const path = ['gitlab', 'projectPath'];
  const t = parseTemplate(template.trim());
  if (!t.ok) return [problemAt(tree, path, t.message)];
  const n = rawAssignments(tree).length;
  if (!t.hasAssignment && n !== 1) {
    return [problemAt(tree, path, `without an {assignment} placeholder the course must have exactly one ` +
      `assignment, but it has ${n}; add {assignment} to the template`)];
  }
  return [];
}

function missingTests(tree: YamlTree, baseDir: string): RawProblem[] {
  const out: RawProblem[] = [];
  rawAssignments(tree).forEach((a, i) => {
    const check = a.check;
    if (!isRaw(check) || (check.executor !== undefined && check.executor !== 'local')) return;
    if (typeof check.tests !== 'string' || check.tests.trim() === '') return;
    const abs = resolve(baseDir, check.tests.trim());
    if (!isDirectory(abs)) {
      out.push(problemAt(tree, ['assignments', i, 'check', 'tests'],
        `hidden tests directory ${abs} does not exist; expected a directory relative to the course file`));
    }
  });
  return out;
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** Not errors, but worth a teacher's attention at start-up. */
export function courseWarnings(tree: YamlTree): { path: PathSeg[]; message: string }[] {
  const out: { path: PathSeg[]; message: string }[] = [];
  const secretPath = ['gitlab', 'webhookSecret'];
  const secret = valueAt(tree.data, secretPath);
  if (typeof secret === 'string' && !tree.interpolated.has(pathKey(secretPath))) {
    out.push({ path: secretPath, message: 'webhookSecret is written literally; course files are usually ' +
      'committed, so prefer ${SOME_ENV_VAR}' });
  }
  if (rawAssignments(tree).length === 0) out.push({ path: ['assignments'], message: 'course has no assignments' });
  return out;
}
