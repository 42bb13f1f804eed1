// Real git repositories of students, and a course with a local check whose hidden tests grade
// a `sort` function: what the grading tests push through the whole system.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp-dir.ts';

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'Student', GIT_AUTHOR_EMAIL: 's@example.org', GIT_COMMITTER_NAME: 'Student', GIT_COMMITTER_EMAIL: 's@example.org' };

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, env: GIT_ENV, encoding: 'utf8' }).trim();
}

export interface StudentRepo {
  readonly dir: string;
  readonly url: string;
  /** Commits the files on top of what is there; returns the new commit's SHA. */
  commit(files: Record<string, string>, message?: string): string;
}

export function studentRepo(): StudentRepo {
  const dir = tempDir('gradeflow-student-');
  git(dir, 'init', '-q', '-b', 'main');
  return {
    dir,
    url: `file://${dir}`,
    commit(files, message = 'work') {
      // A file of its own keeps SHAs apart: the same solution committed in the same second in
      // two repositories would otherwise be the very same commit.
      writeFileSync(join(dir, 'AUTHOR'), `${dir} ${randomUUID()}\n`);
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      git(dir, 'add', '-A');
      git(dir, 'commit', '-q', '--allow-empty', '-m', message);
      return git(dir, 'rev-parse', 'HEAD');
    },
  };
}

export const SOLUTIONS = {
  correct: 'export function sort(xs) { return [...xs].sort((a, b) => a - b); }\n',
  /** Wrong for negative numbers: compares as strings after dropping the sign. */
  partial: 'export function sort(xs) { return [...xs].sort((a, b) => Math.abs(a) - Math.abs(b)); }\n',
  broken: 'export function sort(xs) { return xs.sort((a, b) => a - b) \n',
  slowCorrect: 'const until = Date.now() + 3000; while (Date.now() < until) {}\nexport function sort(xs) { return [...xs].sort((a, b) => a - b); }\n',
} as const;

const HIDDEN_TESTS = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sort } from './sort.js';

test('sorts an empty array', () => assert.deepEqual(sort([]), []));
test('sorts numbers', () => assert.deepEqual(sort([3, 1, 2]), [1, 2, 3]));
test('sorts negative numbers', () => assert.deepEqual(sort([-1, -3, 2]), [-3, -1, 2]));
test('keeps duplicates', () => assert.deepEqual(sort([2, 1, 2]), [1, 2, 2]));
`;

export interface AssignmentSpec {
  readonly slug: string;
  readonly deadline: Date;
  readonly extra?: string[];
}

/**
 * A course `algo-e2e` with projects algo-e2e/{assignment}/{student}; every assignment runs the
 * hidden tests above with weights: empty 10, "sorts *" 30 each, duplicates 1 (default) = 71.
 */
export function writeGradingCourse(secret: string, assignments: readonly AssignmentSpec[]): string {
  const dir = tempDir('gradeflow-grading-course-');
  mkdirSync(join(dir, 'tests', 'sort'), { recursive: true });
  writeFileSync(join(dir, 'tests', 'sort', 'sort.test.mjs'), HIDDEN_TESTS);
  const lines = ['slug: algo-e2e', 'title: Algorithms (grading e2e)', 'gitlab:', '  projectPath: "algo-e2e/{assignment}/{student}"', `  webhookSecret: "${secret}"`, 'assignments:'];
  for (const a of assignments) {
    lines.push(
      `  - slug: ${a.slug}`, `    title: ${a.slug}`, `    deadline: ${a.deadline.toISOString().replace('Z', '+00:00')}`, '    branch: main',
      ...(a.extra ?? []).map((line) => `    ${line}`),
      '    check:', '      executor: local', '      tests: tests/sort',
      '      command: node --test --test-reporter=junit --test-reporter-destination=report.xml', '      report: report.xml',
      '      timeoutSeconds: 30', '      memoryMb: 512',
      '    scoring:', '      maxScore: 100', '      weights: { "sorts an empty array": 10, "sorts *": 30 }', '      default: 1',
    );
  }
  writeFileSync(join(dir, 'algo-e2e.yaml'), `${lines.join('\n')}\n`);
  return dir;
}
