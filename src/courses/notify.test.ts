import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { CourseConfigError, formatProblem, parseCourse } from './index.ts';
import type { CourseProblem, Env } from './index.ts';
import { MINIMAL, courseDir, edit } from './test-fixtures.ts';

const tmp = courseDir();
after(() => tmp.cleanup());
const FILE = tmp.file('algo.yaml');

const SMTP_URL = 'smtp://grader:sm7p-pa55word@mail.uni.example:587';
const HOOK_SECRET = 'hook-secret-0123456789';
const HOOK_URL = 'https://chat.example/hooks/T0K3N-in-the-path';
const ENV: Env = { SMTP_URL, HOOK_SECRET, HOOK_URL };

// Inserted before `assignments:` (line 6), so the notify section starts on line 6.
const NOTIFY = `notify:
  email:
    from: "Gradeflow <grades@uni.example>"
    to: "{student}@uni.example"
    smtpUrl: \${SMTP_URL}
  webhook:
    url: \${HOOK_URL}
    secret: \${HOOK_SECRET}
`;

const withNotify = (section: string) => edit(MINIMAL, 'assignments:\n', `${section}assignments:\n`);

function problems(text: string, env: Env = ENV): CourseProblem[] {
  try {
    parseCourse(text, FILE, env);
  } catch (err) {
    assert.ok(err instanceof CourseConfigError, `expected CourseConfigError, got ${String(err)}`);
    return [...err.problems];
  }
  assert.fail('expected the course to be rejected');
}

const brief = (list: readonly CourseProblem[]) => list.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);

describe('course notify section', () => {
  test('both channels, with secrets read from the environment', () => {
    const { notify } = parseCourse(withNotify(NOTIFY), FILE, ENV);
    assert.equal(notify.email?.from, 'Gradeflow <grades@uni.example>');
    assert.equal(notify.email?.to, '{student}@uni.example');
    assert.equal(notify.email?.smtpUrl, SMTP_URL);
    assert.equal(notify.webhook?.url, HOOK_URL);
    assert.equal(notify.webhook?.secret, HOOK_SECRET);
  });

  test('left out: neither channel; the webhook secret is optional', () => {
    assert.deepEqual(parseCourse(MINIMAL, FILE, {}).notify, { email: null, webhook: null });
    const hook = parseCourse(withNotify('notify:\n  webhook: { url: "https://lms.example/hook" }\n'), FILE, {}).notify;
    assert.equal(hook.email, null);
    assert.equal(hook.webhook?.url, 'https://lms.example/hook');
    assert.equal(hook.webhook?.secret, null);
  });

  test('secrets never show when the course is printed or serialised, and the course is frozen', () => {
    const course = parseCourse(withNotify(NOTIFY), FILE, ENV);
    for (const text of [JSON.stringify(course), inspect(course, { depth: null }), JSON.stringify(course.notify)]) {
      for (const secret of [SMTP_URL, 'sm7p-pa55word', HOOK_SECRET, HOOK_URL]) assert.ok(!text.includes(secret), `${secret} printed`);
    }
    assert.match(JSON.stringify(course.notify), /"to":"\{student\}@uni\.example"/, 'what is not secret still shows');
    assert.ok(Object.isFrozen(course.notify.email));
    assert.throws(() => {
      (course.notify.webhook as { secret: string | null }).secret = 'x';
    }, TypeError);
  });

  test('problems are placed at their line and column and do not quote the value', () => {
    const bad = NOTIFY
      .replace('to: "{student}@uni.example"', 'to: "{name}@uni.example"')
      .replace('smtpUrl: ${SMTP_URL}', 'smtpUrl: "http://grader:literal-pa55@mail.example"')
      .replace('url: ${HOOK_URL}', 'url: ftp://files.example/hook')
      .replace('secret: ${HOOK_SECRET}', 'secret: ${HOOK_SECRET}\n    retries: 3');
    const list = problems(withNotify(bad));
    assert.deepEqual(brief(list), [
      '9:9 notify.email.to: the only placeholder is {student}, e.g. "{student}@uni.example"',
      '10:14 notify.email.smtpUrl: expected an smtp:// or smtps:// URL, e.g. smtp://user:password@mail.example:587',
      '12:10 notify.webhook.url: expected an http:// or https:// URL',
      '14:5 notify.webhook.retries: unknown key \'retries\'; expected one of: url, secret',
    ]);
    assert.ok(!list.map(formatProblem).join('\n').includes('literal-pa55'));
  });

  test('a misspelt key gets a hint; a missing required key is named', () => {
    const list = problems(withNotify('notify:\n  email:\n    from: grades@uni.example\n    to: "{student}@uni.example"\n    smtpURL: ${SMTP_URL}\n'));
    assert.deepEqual(brief(list), [
      "8:5 notify.email.smtpUrl: missing required key 'smtpUrl'",
      "10:5 notify.email.smtpURL: unknown key 'smtpURL'; did you mean 'smtpUrl'?",
    ]);
    assert.deepEqual(brief(problems(withNotify('notify:\n  emial: {}\n'))), ["7:3 notify.emial: unknown key 'emial'; did you mean 'email'?"]);
  });

  test('an unset variable is reported where it is used, and a set one never appears in messages', () => {
    const env = { HOOK_URL, HOOK_SECRET };
    const list = problems(withNotify(NOTIFY.replace('to: "{student}@uni.example"', 'to: ""')), env);
    assert.deepEqual(brief(list), [
      '9:9 notify.email.to: must not be empty',
      '10:14 notify.email.smtpUrl: environment variable SMTP_URL is not set and has no default (use ${NAME:-default} for one); this field is required',
    ]);
    const leaky = problems(withNotify(NOTIFY.replace('url: ${HOOK_URL}', 'url: "${HOOK_SECRET}"')));
    assert.equal(leaky.length, 1, brief(leaky).join("\n"));
    assert.ok(!formatProblem(leaky[0]!).includes(HOOK_SECRET));
  });
});
