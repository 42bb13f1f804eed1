import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { CourseConfigError, parseCourse } from './index.ts';
import type { CourseProblem, Env } from './index.ts';
import { FULL, MINIMAL, courseDir, edit } from './test-fixtures.ts';

const tmp = courseDir();
after(() => tmp.cleanup());
const FILE = tmp.file('algo.yaml');

function problems(text: string, env: Env = {}): CourseProblem[] {
  try {
    parseCourse(text, FILE, env);
  } catch (err) {
    assert.ok(err instanceof CourseConfigError, `expected CourseConfigError, got ${String(err)}`);
    return [...err.problems];
  }
  assert.fail('expected the course to be rejected');
}

function caught(fn: () => unknown): CourseConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CourseConfigError, `expected CourseConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a CourseConfigError');
}

function only(text: string, env: Env = {}): CourseProblem {
  const list = problems(text, env);
  assert.equal(list.length, 1, `expected one problem, got:\n${list.map((p) => p.message).join('\n')}`);
  return list[0]!;
}

describe('parseCourse: valid forms', () => {
  test('full form keeps every written value', () => {
    const c = parseCourse(FULL, FILE, { ALGO_WEBHOOK_SECRET: 's3cret-value' });
    const a = c.assignments[0]!;
    assert.equal(c.slug, 'algo-2026');
    assert.equal(c.gitlab.webhookSecret, 's3cret-value');
    assert.equal(a.opens?.toISOString(), '2026-11-19T21:00:00.000Z');
    assert.equal(a.deadline.toISOString(), '2026-12-01T20:59:00.000Z');
    assert.deepEqual(a.late, { penaltyPercentPerDay: 10, cutoff: new Date('2026-12-04T20:59:00Z') });
    assert.deepEqual(a.attempts, { perHour: 10, max: 50 });
    assert.equal(a.branch, 'main');
    assert.deepEqual(a.check, { executor: 'local', tests: tmp.file('tests/hw1'),
      command: 'node --test --test-reporter=junit --test-reporter-destination=report.xml',
      report: 'report.xml', timeoutSeconds: 60, memoryMb: 512 });
    assert.deepEqual(a.scoring, { maxScore: 100, weights: { 'sorts an empty array': 10, 'sorts *': 30 }, default: 1 });
  });

  test('minimal form gets the documented defaults and check: null', () => {
    const c = parseCourse(MINIMAL, FILE, {});
    const a = c.assignments[0]!;
    assert.equal(c.gitlab.webhookSecret, null, 'unset optional secret falls back to the global one');
    assert.deepEqual({ ...a, deadline: null }, {
      slug: 'hw1', title: 'Sorting', opens: null, deadline: null, exam: false, branch: null,
      counts: 'best', late: null, attempts: { perHour: null, max: null }, check: null,
      scoring: { maxScore: 100, weights: {}, default: 1 },
    });
  });

  test('check defaults: executor local, report, timeout, memory', () => {
    const text = MINIMAL + '    check: { tests: tests/hw1, command: npm test }\n';
    const check = parseCourse(text, FILE, {}).assignments[0]!.check;
    assert.deepEqual(check, { executor: 'local', tests: tmp.file('tests/hw1'), command: 'npm test',
      report: 'report.xml', timeoutSeconds: 60, memoryMb: 512 });
  });

  test('gitlab-ci check needs neither command nor tests', () => {
    const text = MINIMAL + '    check: { executor: gitlab-ci, project: 42, variables: { LEVEL: "3" } }\n';
    assert.deepEqual(parseCourse(text, FILE, {}).assignments[0]!.check, { executor: 'gitlab-ci',
      project: 42, ref: null, variables: { LEVEL: '3' }, report: 'report.xml', timeoutSeconds: 60 });
  });

  test('gitlab section may be left out: projectPath defaults to <slug>/{assignment}/{student}', () => {
    const text = edit(MINIMAL, 'gitlab:\n  projectPath: "algo-2026/{assignment}/{student}"\n  webhookSecret: ${ALGO_WEBHOOK_SECRET}\n', '');
    assert.equal(parseCourse(text, FILE, {}).gitlab.projectPath, 'algo-2026/{assignment}/{student}');
  });

  test('result is deeply frozen', () => {
    const c = parseCourse(FULL, FILE, {});
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.assignments) && Object.isFrozen(c.assignments[0]!.scoring.weights));
    assert.throws(() => { (c.assignments as unknown as unknown[]).push(1); }, TypeError);
  });
});

describe('parseCourse: secrets', () => {
  const SECRET = 'hunter2-very-secret';

  test('webhookSecret is readable but never serialized or inspected', () => {
    const c = parseCourse(MINIMAL, FILE, { ALGO_WEBHOOK_SECRET: SECRET });
    assert.equal(c.gitlab.webhookSecret, SECRET);
    assert.ok(!JSON.stringify(c).includes(SECRET));
    assert.ok(!inspect(c, { depth: 10 }).includes(SECRET));
  });

  test('env values are redacted from error messages', () => {
    const text = MINIMAL + `    check: { tests: "\${HIDDEN}", command: npm test }\n`;
    const p = only(text, { HIDDEN: SECRET });
    assert.match(p.message, /\*\*\* does not exist/);
    assert.ok(!p.message.includes(SECRET));
  });

  test('a literal webhookSecret is redacted from messages too', () => {
    const text = edit(MINIMAL, '${ALGO_WEBHOOK_SECRET}', SECRET) + `    check: { tests: ${SECRET}, command: x }\n`;
    const err = caught(() => parseCourse(text, FILE, {}));
    assert.equal(err.problems.length, 1);
    assert.ok(!err.message.includes(SECRET), err.message);
  });
});

describe('parseCourse: line-precise problems', () => {
  test('deadline without a timezone offset on line 9', () => {
    const p = only(edit(MINIMAL, '23:59:00+03:00', '23:59:00'));
    assert.deepEqual([p.file, p.line, p.column, p.path], [FILE, 9, 15, 'assignments[0].deadline']);
    assert.match(p.message, /missing timezone offset/);
  });

  test('date without time, impossible date, and non-date are rejected', () => {
    assert.match(only(edit(MINIMAL, '2026-12-01T23:59:00+03:00', '2026-12-01')).message, /date alone is ambiguous/);
    assert.match(only(edit(MINIMAL, '2026-12-01T23:59', '2026-02-30T23:59')).message, /no such date/);
    assert.match(only(edit(MINIMAL, '2026-12-01T23:59:00+03:00', '42')).message, /expected a date-time/);
  });

  test('unknown key with a did-you-mean hint', () => {
    const p = only(edit(MINIMAL, '    deadline:', '    dedline: x\n    deadline:'));
    const unknown = problems(edit(MINIMAL, '    title: Sorting', '    titel: Sorting'));
    assert.deepEqual([p.line, p.column, p.path], [9, 5, 'assignments[0].dedline']);
    assert.match(p.message, /unknown key 'dedline'; did you mean 'deadline'\?/);
    assert.deepEqual(unknown.map((u) => [u.line, u.path]), [[7, 'assignments[0].title'], [8, 'assignments[0].titel']]);
  });

  test('unknown key far from any known key lists the expected keys', () => {
    assert.match(only(MINIMAL + '    colour: red\n').message, /unknown key 'colour'; expected one of: slug, title, opens/);
  });

  test('missing title is reported at the assignment', () => {
    const p = only(edit(MINIMAL, '    title: Sorting\n', ''));
    assert.deepEqual([p.line, p.column, p.path, p.message], [7, 5, 'assignments[0].title', "missing required key 'title'"]);
  });

  test('duplicate assignment slug is reported at the second one', () => {
    const p = only(MINIMAL + '  - slug: hw1\n    title: Again\n    deadline: 2026-12-02T00:00:00Z\n');
    assert.deepEqual([p.line, p.column, p.path], [10, 11, 'assignments[1].slug']);
    assert.match(p.message, /duplicate assignment slug 'hw1' \(first used on line 7\)/);
  });

  test('unset variable in a required field names the variable and the line', () => {
    const p = only(edit(MINIMAL, 'title: Algorithms 2026', 'title: ${COURSE_TITLE}'));
    assert.deepEqual([p.line, p.column, p.path], [2, 8, 'title']);
    assert.match(p.message, /environment variable COURSE_TITLE is not set/);
  });

  test('missing hidden tests directory', () => {
    const p = only(MINIMAL + '    check:\n      tests: tests/hw9\n      command: npm test\n');
    assert.deepEqual([p.line, p.column, p.path], [11, 14, 'assignments[0].check.tests']);
    assert.match(p.message, /tests\/hw9 does not exist/);
  });

  test('date order: opens before deadline, cutoff not before deadline', () => {
    const text = MINIMAL + '    opens: 2026-12-02T00:00:00+03:00\n    late: { cutoff: 2026-12-01T00:00:00Z }\n';
    const list = problems(text);
    assert.deepEqual(list.map((p) => [p.line, p.path]), [[10, 'assignments[0].opens'], [11, 'assignments[0].late.cutoff']]);
  });

  test('several problems in one file are all reported, in line order', () => {
    const text = edit(edit(FULL, 'counts: best', 'counts: worst'), 'memoryMb: 512', 'memoryMb: 1');
    const list = problems(edit(text, 'slug: algo-2026', 'slug: Algo 2026'));
    assert.deepEqual(list.map((p) => [p.line, p.path]), [[1, 'slug'], [13, 'assignments[0].counts'], [22, 'assignments[0].check.memoryMb']]);
    assert.match(list[1]!.message, /expected one of: best, last, lastBeforeDeadline/);
    assert.match(list[2]!.message, /expected a number >= 64/);
  });

  test('executor-specific keys and unknown executors', () => {
    const ci = only(MINIMAL + '    check: { executor: gitlab-ci, command: npm test }\n');
    assert.match(ci.message, /'command' is only used with executor: local/);
    const bad = only(MINIMAL + '    check:\n      executor: docker\n');
    assert.deepEqual([bad.line, bad.path], [11, 'assignments[0].check.executor']);
    assert.match(bad.message, /expected one of: local, gitlab-ci/);
  });

  test('projectPath template rules', () => {
    const two = MINIMAL + '  - slug: hw2\n    title: Graphs\n    deadline: 2026-12-08T23:59:00Z\n';
    const noPlaceholder = only(edit(two, 'algo-2026/{assignment}/{student}', 'algo-2026/{student}'));
    assert.deepEqual([noPlaceholder.line, noPlaceholder.column], [4, 16]);
    assert.match(noPlaceholder.message, /exactly one assignment, but it has 2/);
    assert.match(only(edit(MINIMAL, '{student}', '{user}')).message, /unknown placeholder \{user\}/);
    assert.match(only(edit(MINIMAL, '{assignment}/{student}', '{assignment}-{student}')).message, /at most one placeholder/);
  });

  test('an empty file asks for a mapping', () => {
    const p = only('# nothing yet\n');
    assert.deepEqual([p.line, p.path, p.message], [1, '', 'expected a mapping (key: value), got an empty value']);
  });

  test('paths bracket keys that are not plain words', () => {
    const p = only(MINIMAL + '    scoring: { weights: { "sorts *": -1 } }\n');
    assert.equal(p.path, 'assignments[0].scoring.weights["sorts *"]');
  });

  test('YAML syntax errors are positioned', () => {
    const p = only(edit(MINIMAL, 'title: Sorting', 'title: [Sorting'));
    assert.equal(p.line, 9);
    assert.match(p.message, /^YAML syntax error/);
  });

  test('an unquoted ${VAR} in a flow mapping gets one syntax problem with a hint', () => {
    const p = only(MINIMAL + '    check: { tests: ${HIDDEN}, command: npm test }\n');
    assert.equal(p.line, 10);
    assert.match(p.message, /hint: quote values with \$\{\.\.\.\}/);
  });

  test('error message is file:line:column: path: message', () => {
    const err = caught(() => parseCourse(MINIMAL + '    exam: "no"\n', FILE, {}));
    assert.ok(err.message.includes(`${FILE}:10:11: assignments[0].exam: expected true or false, got text`), err.message);
  });
});
