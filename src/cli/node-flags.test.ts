import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SERVICE_NODE_FLAGS } from './node-flags.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const flags = SERVICE_NODE_FLAGS.join(' ');

test('every way of starting gradeflow carries the service heap flags', async () => {
  const packageJson = JSON.parse(await readFile(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> };
  assert.equal(packageJson.scripts.start, `node ${flags} src/cli/main.ts start`);
  assert.equal(packageJson.scripts.gradeflow, `node ${flags} src/cli/main.ts`);
  for (const file of ['bin/gradeflow.js', 'src/cli/main.ts']) {
    const firstLine = (await readFile(`${ROOT}${file}`, 'utf8')).split('\n', 1)[0];
    assert.equal(firstLine, `#!/usr/bin/env -S node ${flags}`, file);
  }
});

test('the flags set the heap V8 runs with', async () => {
  // A process started with them reports the heap limit they ask for; one without, another.
  const script = "console.log(JSON.stringify({ limit: require('node:v8').getHeapStatistics().heap_size_limit }))";
  const run = (args: readonly string[]) => promisify(execFile)(process.execPath, [...args, '-e', script]).then((r) => JSON.parse(r.stdout) as { limit: number });
  const [tuned, plain] = await Promise.all([run(SERVICE_NODE_FLAGS), run([])]);
  // heap_size_limit = old generation + young generation (3 semi-spaces): 512 + 48 MiB.
  assert.equal(tuned.limit, (512 + 3 * 16) * 2 ** 20);
  assert.notEqual(plain.limit, tuned.limit);
});
