import assert from 'node:assert/strict';
import { test } from 'node:test';
import { feedbackComment, MAX_TABLE_ROWS } from './format.ts';
import type { GradedTest, GradeSummary } from './types.ts';

function grade(overrides: Partial<GradeSummary> = {}): GradeSummary {
  return {
    submissionId: '7f0c8a52-3c3e-4a7e-9d43-2f1f5b0c9e11', course: 'algo-2026', assignment: 'hw1', student: 'alice',
    commitSha: '0123456789abcdef0123456789abcdef01234567', score: 70, maxScore: 100, passed: 7, total: 10,
    verdict: 'graded', verdictMessage: null, latePenaltyPercent: 0, tests: [], url: null, ...overrides,
  };
}

const t = (name: string, status: GradedTest['status'], message: string | null = null, points = 0, maxPoints = 10): GradedTest =>
  ({ name, status, points, maxPoints, message });

test('a graded submission: heading, verdict, late penalty, tests failed first, link', () => {
  const comment = feedbackComment(grade({
    score: 13.5, maxScore: 30, passed: 2, total: 5, latePenaltyPercent: 10, url: 'https://gradeflow.example/s/7f0c',
    tests: [
      t('sorts empty', 'passed', null, 10, 10), t('skipped one', 'skipped', null, 0, 0), t('sorts many', 'failed', 'expected [1,2]\n  but got [2,1]'),
      t('crashes', 'error', 'NullPointerException'), t('sorts one', 'passed', null, 5, 5), t('sorts twice', 'failed', null, 0, 5),
    ],
  }));
  assert.equal(comment, [
    '### ❌ Score: 13.5/30',
    '',
    'Course `algo-2026`, assignment `hw1`, commit `01234567`',
    '',
    '**2 of 5 tests passed.**',
    '',
    '**Late penalty:** 10% (already taken off the score above).',
    '',
    '| Test | Result | Points | Message |',
    '| --- | --- | --- | --- |',
    '| `sorts many` | ❌ failed | 0/10 | `expected [1,2] but got [2,1]` |',
    '| `sorts twice` | ❌ failed | 0/5 |  |',
    '| `crashes` | ⚠️ error | 0/10 | `NullPointerException` |',
    '| `skipped one` | ⏭️ skipped | — |  |',
    '| `sorts empty` | ✅ passed | 10/10 |  |',
    '| `sorts one` | ✅ passed | 5/5 |  |',
    '',
    '[Open this submission in Gradeflow](https://gradeflow.example/s/7f0c)',
    '',
  ].join('\n'));
});

test('all passed: a green heading and no late penalty line', () => {
  const comment = feedbackComment(grade({ score: 100, passed: 1, total: 1, tests: [t('ok', 'passed', null, 100, 100)] }));
  assert.ok(comment.startsWith('### ✅ Score: 100/100\n'));
  assert.doesNotMatch(comment, /Late penalty/);
  assert.doesNotMatch(comment, /\]\(/, 'no link without a URL');
});

test('a time limit: the verdict with its detail, then how many tests passed', () => {
  const comment = feedbackComment(grade({ verdict: 'time-limit', verdictMessage: '60 s', score: 0, passed: 0, total: 0 }));
  assert.equal(comment, [
    '### ❌ Score: 0/100', '', 'Course `algo-2026`, assignment `hw1`, commit `01234567`', '',
    '**Time limit exceeded**: `60 s`', '', 'No tests were run.', '',
  ].join('\n'));
});

test('a system error and a rejection say why, without a score', () => {
  const error = feedbackComment(grade({ verdict: 'system-error', verdictMessage: 'runner lost' }));
  assert.match(error, /^### ⚠️ Not graded: system error\n/);
  assert.match(error, /\n\nThe submission could not be graded because of a problem on our side, not in your code\. `runner lost`\n/);
  assert.doesNotMatch(error, /Score/);
  const rejected = feedbackComment(grade({ verdict: 'rejected', verdictMessage: 'deadline passed' }));
  assert.match(rejected, /^### ⛔ Not accepted\n/);
  assert.match(rejected, /\n\nThis commit was not graded\. `deadline passed`\n$/);
});

test('pipes and backticks in names and messages cannot break the table or the code span', () => {
  const comment = feedbackComment(grade({ tests: [t('a | b', 'failed', 'got `x` | ``y``'), t('`tick', 'failed', '`')] }));
  const rows = comment.split('\n').filter((line) => line.startsWith('| `') || line.startsWith('| ``'));
  assert.deepEqual(rows, [
    '| `a \\| b` | ❌ failed | 0/10 | ``` got `x` \\| ``y`` ``` |',
    '| `` `tick `` | ❌ failed | 0/10 | `` ` `` |',
  ]);
});

test('mentions, references and HTML from test output stay inside code spans', () => {
  const comment = feedbackComment(grade({ tests: [t('@all <img src=x onerror=alert(1)>', 'failed', 'see #1 and !2, ping @teacher')] }));
  assert.match(comment, /\| `@all <img src=x onerror=alert\(1\)>` \| ❌ failed \| 0\/10 \| `see #1 and !2, ping @teacher` \|/);
});

test('messages become one line of at most 200 characters, names at most 150', () => {
  const comment = feedbackComment(grade({ tests: [t(`n${'a'.repeat(300)}`, 'failed', `line one\r\n\tline two ${'b'.repeat(400)}`)] }));
  const row = comment.split('\n').find((line) => line.startsWith('| `n'))!;
  assert.equal(row, `| \`n${'a'.repeat(148)}…\` | ❌ failed | 0/10 | \`line one line two ${'b'.repeat(181)}…\` |`);
  assert.equal([...`n${'a'.repeat(148)}…`].length, 150);
  assert.equal([...`line one line two ${'b'.repeat(181)}…`].length, 200);
});

test('at most 100 rows, failures kept, the rest counted', () => {
  const tests = [...Array.from({ length: 150 }, (_, i) => t(`pass ${i}`, 'passed', null, 1, 1)), t('the failure', 'failed', 'boom')];
  const comment = feedbackComment(grade({ tests }));
  const rows = comment.split('\n').filter((line) => line.startsWith('| `'));
  assert.equal(rows.length, MAX_TABLE_ROWS);
  assert.match(rows[0]!, /^\| `the failure` \| ❌ failed/);
  assert.match(rows.at(-1)!, /^\| `pass 98` \|/);
  assert.match(comment, /\n\n…and 51 more tests not shown\.\n$/);
});

test('only http(s) links are linked, with characters that would end the link encoded', () => {
  assert.doesNotMatch(feedbackComment(grade({ url: 'javascript:alert(1)' })), /\]\(/);
  assert.doesNotMatch(feedbackComment(grade({ url: 'not a url' })), /\]\(/);
  assert.match(feedbackComment(grade({ url: 'https://g.example/s/a(1) b' })), /\[Open this submission in Gradeflow\]\(https:\/\/g\.example\/s\/a%281%29%20b\)\n$/);
});
