import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, test } from 'node:test';
import { CourseConfigError, loadCourses } from './index.ts';
import { FULL, MINIMAL, courseDir, edit } from './test-fixtures.ts';

const EXAMPLE_DIR = fileURLToPath(new URL('../../courses/', import.meta.url));
let tmp = courseDir();
afterEach(() => {
  tmp.cleanup();
  tmp = courseDir();
});

async function rejection(promise: Promise<unknown>): Promise<CourseConfigError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof CourseConfigError, `expected CourseConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected loadCourses to reject');
}

describe('loadCourses', () => {
  test('the example course in courses/ loads with an empty env', async () => {
    const { courses, warnings } = await loadCourses({ dir: EXAMPLE_DIR, env: {} });
    assert.deepEqual(courses.map((c) => c.slug), ['algo-2026']);
    assert.deepEqual(courses[0]!.assignments.map((a) => [a.slug, a.check?.executor ?? null]),
      [['hw1', 'local'], ['essay', null], ['exam', 'gitlab-ci']]);
    assert.equal(courses[0]!.gitlab.webhookSecret, null);
    assert.deepEqual(warnings, []);
  });

  test('loads *.yaml and *.yml in name order, ignoring other and hidden files', async () => {
    tmp.write('b.yml', edit(MINIMAL, 'slug: algo-2026', 'slug: b'));
    tmp.write('a.yaml', edit(FULL, 'slug: algo-2026', 'slug: a'));
    tmp.write('notes.txt', 'not yaml');
    tmp.write('.a.yaml.swp', ':');
    const { courses } = await loadCourses({ dir: tmp.dir, env: {} });
    assert.deepEqual(courses.map((c) => [c.slug, c.file]), [['a', tmp.file('a.yaml')], ['b', tmp.file('b.yml')]]);
  });

  test('missing directory is a clear error naming it', async () => {
    const dir = join(tmp.dir, 'nope');
    const err = await rejection(loadCourses({ dir, env: {} }));
    assert.deepEqual(err.problems.map((p) => [p.file, p.line]), [[dir, 0]]);
    assert.match(err.message, new RegExp(`${dir}: courses directory does not exist`));
  });

  test('empty directory gives zero courses and a warning', async () => {
    mkdirSync(join(tmp.dir, 'empty'));
    const { courses, warnings } = await loadCourses({ dir: join(tmp.dir, 'empty'), env: {} });
    assert.equal(courses.length, 0);
    assert.match(warnings[0] ?? '', /no course files/);
  });

  test('problems of two files are all reported at once', async () => {
    const a = tmp.write('a.yaml', edit(MINIMAL, 'title: Sorting', 'title: ""'));
    const b = tmp.write('b.yaml', edit(MINIMAL, 'slug: algo-2026', 'slug: b') + '    counts: most\n');
    const err = await rejection(loadCourses({ dir: tmp.dir, env: {} }));
    assert.deepEqual(err.problems.map((p) => [p.file, p.line, p.path]),
      [[a, 8, 'assignments[0].title'], [b, 10, 'assignments[0].counts']]);
    assert.ok(err.message.startsWith('2 problems in course configuration:\n'), err.message);
  });

  test('duplicate course slugs name both files', async () => {
    const a = tmp.write('a.yaml', MINIMAL);
    const b = tmp.write('b.yaml', '# copy\n' + edit(MINIMAL, 'deadline: 2026', 'deadline: 2027'));
    const err = await rejection(loadCourses({ dir: tmp.dir, env: {} }));
    assert.equal(err.problems.length, 1);
    const p = err.problems[0]!;
    assert.deepEqual([p.file, p.line, p.column, p.path], [b, 2, 7, 'slug']);
    assert.ok(p.message.includes(`duplicate course slug 'algo-2026', already used by ${a}:1`), p.message);
  });

  test('warns about overlapping templates and literal secrets', async () => {
    tmp.write('a.yaml', MINIMAL);
    tmp.write('b.yaml', edit(edit(MINIMAL, 'slug: algo-2026', 'slug: b'),
      '"algo-2026/{assignment}/{student}"', '"{student}/hw1/{assignment}"'));
    const c = edit(edit(MINIMAL, 'slug: algo-2026', 'slug: c'), '${ALGO_WEBHOOK_SECRET}', 'plain-text-secret');
    tmp.write('c.yaml', edit(c, '"algo-2026/{assignment}/{student}"', 'c/{student}'));
    const { warnings } = await loadCourses({ dir: tmp.dir, env: {} });
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.ok(warnings.some((w) => w.includes(`${tmp.file('c.yaml')}:5:18: gitlab.webhookSecret: webhookSecret is written literally`)));
    assert.ok(warnings.some((w) => /courses algo-2026 .* and b .* overlapping/.test(w)), warnings.join('\n'));
    assert.ok(!warnings.join('\n').includes('plain-text-secret'));
  });

  test('env reaches interpolation; process.env is not consulted', async () => {
    process.env.ALGO_WEBHOOK_SECRET = 'from-process-env';
    try {
      tmp.write('a.yaml', MINIMAL);
      const withEnv = await loadCourses({ dir: tmp.dir, env: { ALGO_WEBHOOK_SECRET: 'from-env-arg' } });
      const without = await loadCourses({ dir: tmp.dir, env: {} });
      assert.equal(withEnv.courses[0]!.gitlab.webhookSecret, 'from-env-arg');
      assert.equal(without.courses[0]!.gitlab.webhookSecret, null);
    } finally {
      delete process.env.ALGO_WEBHOOK_SECRET;
    }
  });
});
