// Wrong configuration stops `gradeflow` at start with exit code 2 and a message naming what to fix.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runGradeflow } from '../support/process.ts';
import { tempDir } from '../support/temp-dir.ts';

test('invalid environment: every problem named, exit code 2', async () => {
  const { code, output } = await runGradeflow(['start'], { PORT: 'http', KAFKA_COMPRESSION: 'rar', DATABASE_URL: 'mysql://u:topsecret@h/db' });
  assert.equal(code, 2);
  assert.match(output, /PORT: expected a whole number/);
  assert.match(output, /KAFKA_COMPRESSION: expected one of none, gzip, snappy, lz4, zstd, got "rar"/);
  assert.match(output, /DATABASE_URL: expected a URL starting with postgres:\/\//);
  assert.doesNotMatch(output, /topsecret/);
});

test('a broken course file: file:line:column of each problem, exit code 2', async () => {
  const dir = tempDir('gradeflow-bad-course-');
  writeFileSync(join(dir, 'bad.yaml'), ['slug: bad-course', 'title: Bad', 'assignments:', '  - slug: hw1', '    title: One', '    deadline: tomorrow', '    colour: blue', ''].join('\n'));
  const { code, output } = await runGradeflow(['start'], { GRADEFLOW_COURSES_DIR: dir, KAFKA_BROKERS: '127.0.0.1:9' });
  assert.equal(code, 2, output);
  assert.match(output, /bad\.yaml:6:\d+: assignments\[0\]\.deadline/);
  assert.match(output, /bad\.yaml:7:\d+: .*colour/);
});

test('the embedded broker port already taken: a clear error, exit code 1', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const dataDir = tempDir('gradeflow-port-');
  const { code, output } = await runGradeflow(['start'], { KAFKA_EMBEDDED_PORT: String(port), GRADEFLOW_DATA_DIR: dataDir, PORT: '0' }, 120_000);
  assert.equal(code, 1, output);
  assert.match(output, new RegExp(`port ${port}.*KAFKA_BROKERS`, 's'));
});

test('unknown command and unknown group: usage, exit code 2', async () => {
  const unknown = await runGradeflow(['frobnicate'], {});
  assert.equal(unknown.code, 2);
  assert.match(unknown.output, /unknown command "frobnicate"/);
  assert.match(unknown.output, /usage: gradeflow/);
  const group = await runGradeflow(['worker', 'nobody'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres', KAFKA_BROKERS: '127.0.0.1:9' });
  assert.equal(group.code, 2);
  assert.match(group.output, /unknown group "nobody"; groups: pipeline-orchestrators/);
});
