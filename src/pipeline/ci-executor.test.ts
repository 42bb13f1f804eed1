// Pure parts of the gitlab-ci executor: the variables a pipeline gets and the note about a
// branch that moved on before GitLab ran it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GitlabCiCheck } from '../courses/index.ts';
import type { StartCiCheckInput } from './ci-executor.ts';
import { pipelineVariables, shaMismatchNote } from './ci-executor.ts';

const SHA = '1'.repeat(40);
const NEWER = '2'.repeat(40);
const CONFIG: GitlabCiCheck = { executor: 'gitlab-ci', project: null, ref: null, variables: { SUITE: 'full' }, report: 'report.xml', timeoutSeconds: 600 };

function input(config: Partial<GitlabCiCheck> = {}): StartCiCheckInput {
  return {
    check: { id: 'check-1' },
    submission: { id: 'sub-1', course: 'algo', assignment: 'hw1', student: 'ann', projectId: 7, projectPath: 'algo/hw1/ann', branch: 'main', commitSha: SHA },
    config: { ...CONFIG, ...config },
  };
}

test('a pipeline gets the course variables and every GRADEFLOW_ variable of the submission', () => {
  assert.deepEqual(pipelineVariables(input(), null), {
    SUITE: 'full', GRADEFLOW_SUBMISSION_ID: 'sub-1', GRADEFLOW_CHECK_ID: 'check-1', GRADEFLOW_COURSE: 'algo',
    GRADEFLOW_ASSIGNMENT: 'hw1', GRADEFLOW_STUDENT: 'ann', GRADEFLOW_PROJECT_PATH: 'algo/hw1/ann',
    GRADEFLOW_PROJECT_ID: '7', GRADEFLOW_COMMIT_SHA: SHA,
  });
  assert.equal(pipelineVariables(input(), 'https://grades.example.com')['GRADEFLOW_URL'], 'https://grades.example.com');
});

test('a course variable cannot override the submission identity', () => {
  const variables = pipelineVariables(input({ variables: { GRADEFLOW_STUDENT: 'bob', GRADEFLOW_COMMIT_SHA: NEWER } }), null);
  assert.equal(variables['GRADEFLOW_STUDENT'], 'ann');
  assert.equal(variables['GRADEFLOW_COMMIT_SHA'], SHA);
});

test('a newer branch head in the student project is noted; the pushed commit itself is not', () => {
  assert.equal(shaMismatchNote(input(), SHA), null);
  const note = shaMismatchNote(input(), NEWER);
  assert.match(note ?? '', /22222222.*branch main.*11111111/);
  assert.match(shaMismatchNote(input({ project: 7 }), NEWER) ?? '', /newer head/);
});

test('a central grading project or a pinned ref is not compared with the submitted commit', () => {
  assert.equal(shaMismatchNote(input({ project: 'staff/grader' }), NEWER), null);
  assert.equal(shaMismatchNote(input({ project: 99 }), NEWER), null);
  assert.equal(shaMismatchNote(input({ ref: 'grading' }), NEWER), null);
});
