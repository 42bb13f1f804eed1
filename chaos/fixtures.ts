// What the pushes are made of: a course `chaos` whose every assignment runs a local check that
// only writes a one-test JUnit report (so the run measures the pipeline, not the tests), and
// one real git repository per run with as many commits as pushes (git fast-import: thousands
// of commits in well under a second), each commit the solution of one push.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const COURSE = 'chaos';
export const SECRET = 'chaos-course-secret-0123456789';
/** The course file names its secret by variable, as committed course files should. */
export const SECRET_ENV = { CHAOS_WEBHOOK_SECRET: SECRET };
const REPORT = `<testsuite name="chaos"><testcase name="ok"/></testsuite>`;
export const CHECK_COMMAND = `printf '%s' '${REPORT}' > report.xml`;

/** Writes <dir>/chaos.yaml with one assignment per slug; returns the courses directory. */
export function writeCourse(dir: string, assignments: readonly string[]): string {
  mkdirSync(path.join(dir, 'tests', 'chaos'), { recursive: true });
  writeFileSync(path.join(dir, 'tests', 'chaos', 'README'), 'hidden tests of the chaos course: none, the command writes the report\n');
  const lines = [`slug: ${COURSE}`, 'title: Chaos suite', 'gitlab:', `  projectPath: "${COURSE}/{assignment}/{student}"`, '  webhookSecret: ${CHAOS_WEBHOOK_SECRET}', 'assignments:'];
  for (const slug of assignments) {
    lines.push(
      `  - slug: ${slug}`, `    title: ${slug}`, '    deadline: 2099-12-01T23:59:00+00:00', '    branch: main',
      '    check:', '      executor: local', '      tests: tests/chaos',
      // JSON strings are YAML double-quoted scalars.
      `      command: ${JSON.stringify(CHECK_COMMAND)}`, '      report: report.xml', '      timeoutSeconds: 30', '      memoryMb: 256',
    );
  }
  writeFileSync(path.join(dir, `${COURSE}.yaml`), `${lines.join('\n')}\n`);
  return dir;
}

const GIT_ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LC_ALL: 'C',
  GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null',
};

export interface Repo {
  readonly dir: string;
  readonly url: string;
  /** Commits made so far, oldest first; take() hands each out once. */
  take(): string;
}

/** A repository on branch main with `count` commits in a row (each changes solution.txt). */
export function makeRepo(dir: string, count: number): Repo {
  mkdirSync(dir, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main', dir], { env: GIT_ENV });
  const parts: string[] = [];
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  for (let i = 1; i <= count; i += 1) {
    parts.push(
      'commit refs/heads/main', `mark :${i}`, `committer Student <s@example.org> ${1_700_000_000 + i} +0000`, data(`push ${i}`).trimEnd(),
      ...(i > 1 ? [`from :${i - 1}`] : []),
      'M 644 inline solution.txt', data(`solution ${i} ${dir}\n`).trimEnd(), '',
    );
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, env: GIT_ENV, input: `${parts.join('\n')}\n` });
  execFileSync('git', ['checkout', '-q', 'main'], { cwd: dir, env: GIT_ENV });
  const shas = execFileSync('git', ['rev-list', '--reverse', 'main'], { cwd: dir, env: GIT_ENV, encoding: 'utf8' }).trim().split('\n');
  let next = 0;
  return {
    dir,
    url: `file://${dir}`,
    take() {
      const sha = shas[next];
      if (sha === undefined) throw new Error(`the repository has only ${shas.length} commits`);
      next += 1;
      return sha;
    },
  };
}
