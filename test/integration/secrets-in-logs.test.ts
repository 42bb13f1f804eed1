// Secrets never reach logs, events or errors: a whole `gradeflow start` at LOG_LEVEL=trace, with
// a password in DATABASE_URL (a PostgreSQL role made for the test; the local server trusts
// everyone, so the password is never checked, and still must never be shown), GITLAB_TOKEN
// (used against the GitLab double), the admin token, the global and a course webhook secret.
// Pushes with right and wrong tokens go through the gitlab-ci flow to a commit status; then the
// whole process output, /metrics and every record of every topic are searched for each secret
// in every form it could leak in (text, URL-encoded, base64, the byte list of a logged Buffer).
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Admin } from '@platformatic/kafka';
import pg from 'pg';
import { findFreePorts } from '../../src/kafka/local/ports.ts';
import { startGitLabDouble } from '../support/gitlab-double.ts';
import type { GitLabDouble } from '../support/gitlab-double.ts';
import { gitlabFixture, postWebhook, pushPayload, shaOf } from '../support/gitlab.ts';
import { testBrokers, uniqueName } from '../support/kafka.ts';
import { adminUrl, createTestDatabase } from '../support/postgres.ts';
import type { TestDatabase } from '../support/postgres.ts';
import { startGradeflow } from '../support/process.ts';
import type { RunningProcess } from '../support/process.ts';
import { sendRaw } from '../support/raw-http.ts';
import { leakedSecrets } from '../support/secret-forms.ts';
import { readAllBytes } from '../support/topic-offsets.ts';
import { waitFor } from '../support/wait.ts';
import { tempDir } from '../support/temp-dir.ts';

const hex = () => randomBytes(12).toString('hex');
const SECRETS = {
  databasePassword: `dbpw${hex()}`,
  gitlabToken: `gitlab-token-${hex()}`,
  adminToken: `admin-token-${hex()}`,
  globalWebhookSecret: `global-hook-${hex()}`,
  courseWebhookSecret: `course-hook-${hex()}`,
  wrongTokenSent: `wrong-token-${hex()}`,
  pipelineVariable: `pipeline-variable-${hex()}`,
};

async function asAdmin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A role with a password owning a fresh database; the URL gradeflow gets. */
async function databaseWithPassword(db: TestDatabase, role: string): Promise<string> {
  // Names and password are [a-z0-9_] only (made above), so quoting them is enough.
  await asAdmin(`CREATE ROLE "${role}" LOGIN PASSWORD '${SECRETS.databasePassword}'`);
  await asAdmin(`ALTER DATABASE "${db.name}" OWNER TO "${role}"`);
  const url = new URL(db.url);
  url.username = role;
  url.password = SECRETS.databasePassword;
  return url.toString();
}

function writeCourse(): string {
  const dir = tempDir('gradeflow-secrets-course-');
  writeFileSync(join(dir, 'sec.yaml'), [
    'slug: sec', 'title: Secrets', 'gitlab:', '  projectPath: "sec/{assignment}/{student}"', '  webhookSecret: ${HOSTILE_COURSE_SECRET}',
    'assignments:', '  - slug: lab', '    title: Lab', `    deadline: ${new Date(Date.now() + 86_400_000).toISOString().replace('Z', '+00:00')}`,
    '    check:', '      executor: gitlab-ci', '      timeoutSeconds: 600', '',
  ].join('\n'));
  return dir;
}

function pipelineHook(pipelineId: number, sha: string, status: string): Record<string, any> {
  const body = gitlabFixture('pipeline.json') as Record<string, any>;
  body.object_attributes = { ...body.object_attributes, id: pipelineId, iid: pipelineId, sha, status, ref: 'main', variables: [{ key: 'DEPLOY_TOKEN', value: SECRETS.pipelineVariable }] };
  body.project = { ...body.project, id: 4343, path_with_namespace: 'sec/lab/sam' };
  return body;
}

describe('no secret in logs, events or errors of a whole gradeflow start', { timeout: 300_000 }, () => {
  const prefix = `${uniqueName('secrets')}.`;
  const role = `gradeflow_secret_${hex()}`;
  let gitlab: GitLabDouble;
  let db: TestDatabase;
  let app: RunningProcess;
  let url: string;
  let seen = '';
  const withOutput = (error: Error): never => {
    throw new Error(`${error.message}; gradeflow printed:\n${app.output().slice(-6000)}`);
  };

  before(async () => {
    gitlab = await startGitLabDouble({ token: SECRETS.gitlabToken });
    db = await createTestDatabase();
    const [port] = await findFreePorts(1);
    url = `http://127.0.0.1:${port}`;
    app = startGradeflow(['start'], {
      KAFKA_BROKERS: testBrokers().join(','), KAFKA_TOPIC_PREFIX: prefix, KAFKA_REPLICATION_FACTOR: '1',
      DATABASE_URL: await databaseWithPassword(db, role), PORT: String(port), GRADEFLOW_COURSES_DIR: writeCourse(),
      GRADEFLOW_DATA_DIR: tempDir('gradeflow-secrets-data-'), LOG_LEVEL: 'trace',
      GITLAB_URL: gitlab.url, GITLAB_TOKEN: SECRETS.gitlabToken, GRADEFLOW_ADMIN_TOKEN: SECRETS.adminToken,
      GITLAB_WEBHOOK_SECRET: SECRETS.globalWebhookSecret, HOSTILE_COURSE_SECRET: SECRETS.courseWebhookSecret,
    });
    await app.waitForOutput('Press Ctrl-C to stop.');
  });

  after(async () => {
    await app?.stop('SIGTERM');
    await db?.drop();
    await asAdmin(`DROP ROLE IF EXISTS "${role}"`);
    await gitlab?.close();
  });

  test('a push is graded through GitLab with the secrets in use', async () => {
    const sha = shaOf(`sam-${randomUUID()}`);
    gitlab.setBranchHead(4343, 'main', sha);
    const push = await postWebhook(url, pushPayload({ path: 'sec/lab/sam', projectId: 4343, sha }), { token: SECRETS.courseWebhookSecret, idempotencyKey: randomUUID() });
    assert.equal(push.status, 202, JSON.stringify(push.json));
    const pipeline = await waitFor('a pipeline triggered', () => [...gitlab.pipelines.values()].find((p) => p.variables.GRADEFLOW_COMMIT_SHA === sha)).catch(withOutput);
    const cases = [{ status: 'success', name: 'passes', classname: 'Lab', execution_time: 0.01, system_output: null, stack_trace: null }, { status: 'failed', name: 'fails', classname: 'Lab', execution_time: 0.01, system_output: 'expected 1, got 2', stack_trace: null }];
    gitlab.finishPipeline(pipeline.id, 'failed', { total_time: 0.02, total_count: 2, success_count: 1, failed_count: 1, skipped_count: 0, error_count: 0, test_suites: [{ name: 'lab', total_time: 0.02, total_count: 2, success_count: 1, failed_count: 1, skipped_count: 0, error_count: 0, suite_error: null, test_cases: cases }] });
    const hook = await postWebhook(url, pipelineHook(pipeline.id, sha, 'failed'), { token: SECRETS.courseWebhookSecret, event: 'Pipeline Hook', idempotencyKey: randomUUID() });
    assert.equal(hook.status, 202, JSON.stringify(hook.json));
    await waitFor('the grade on the commit', () => gitlab.statuses.find((s) => s.sha === sha && (s.state === 'failed' || s.state === 'success'))).catch(withOutput);
    assert.ok(gitlab.calls.every((c) => c.token === 'valid'), 'GITLAB_TOKEN was sent to GitLab');
  });

  test('wrong, forged and misplaced secrets are refused', async () => {
    const body = pushPayload({ path: 'sec/lab/sam', projectId: 4343, sha: shaOf(randomUUID()) });
    assert.equal((await postWebhook(url, body, { token: SECRETS.wrongTokenSent })).status, 401);
    assert.equal((await postWebhook(url, body, { token: SECRETS.globalWebhookSecret })).status, 401, 'the global secret does not open a course with its own');
    const malformed = await sendRaw(Number(new URL(url).port), '/webhooks/gitlab', { headers: [], body: '', rawHead: `POST /webhooks/gitlab HTTP/1.1\r\nHost: x\r\nX-Gitlab-Token: ${SECRETS.courseWebhookSecret}\r\nAuthorization: Bearer ${SECRETS.adminToken}\r\nBroken Header\r\n` });
    assert.equal(malformed.status, 400, 'Node attaches these raw bytes to the parse error it reports');
    const api = (token: string) => fetch(`${url}/api/submissions?course=sec`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await api(SECRETS.wrongTokenSent)).status, 401);
    assert.equal((await api(SECRETS.adminToken)).status, 200);
    seen += await (await fetch(`${url}/metrics`)).text();
    seen += await (await fetch(`${url}/readyz`)).text();
  });

  test('the process output and the metrics hold no secret', async () => {
    assert.equal(await app.stop('SIGTERM'), 0, app.output().slice(-3000));
    assert.match(app.output(), /"level":20/, 'the most verbose lines were written');
    assert.deepEqual(leakedSecrets(app.output() + seen, SECRETS), []);
  });

  test('no record of any topic holds a secret', async () => {
    const admin = new Admin({ clientId: 'secrets-test', bootstrapBrokers: testBrokers() });
    const topics = (await admin.listTopics().finally(() => admin.close())).filter((t) => t.startsWith(prefix));
    assert.ok(topics.length >= 8, topics.join(', '));
    let text = '';
    for (const topic of topics) {
      for (const record of await readAllBytes(testBrokers(), topic)) {
        text += `${record.key?.toString('utf8')} ${record.value?.toString('utf8')} ${JSON.stringify([...record.headers])}\n`;
      }
    }
    assert.match(text, /"type":"gitlab\.push"/, 'the records were read');
    assert.deepEqual(leakedSecrets(text, SECRETS), []);
  });
});
