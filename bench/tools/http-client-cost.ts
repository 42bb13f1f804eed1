// What one GitLab-sized API call costs the calling process in CPU: the global fetch against
// undici's request() on a keep-alive Agent (what src/gitlab/transport.ts and the webhook channel
// use), rounds alternating. The server is a separate process, so only the client's CPU counts.
//
//   npm exec -- node bench/tools/http-client-cost.ts [--requests 4000] [--rounds 2] [--concurrency 4]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '4000' }, rounds: { type: 'string', default: '2' }, concurrency: { type: 'string', default: '4' } } });
const requests = Number(values.requests);
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);
if (![requests, rounds, concurrency].every((n) => Number.isInteger(n) && n > 0)) throw new Error('--requests, --rounds and --concurrency take positive integers');

// A commit status answer of GitLab's size, 201 like POST /projects/:id/statuses/:sha.
const SERVER = `
const http = require('node:http');
const body = JSON.stringify({ id: 1, sha: '${'a'.repeat(40)}', ref: 'main', status: 'success', name: 'gradeflow', description: 'x'.repeat(100) });
http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(201, { 'content-type': 'application/json' }); res.end(body); }); })
  .listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });
process.stdin.on('end', () => process.exit(0)).resume();`;

const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['pipe', 'pipe', 'inherit'] });
const [portLine] = (await once(server.stdout, 'data')) as [Buffer];
const url = `http://127.0.0.1:${portLine.toString().trim()}/api/v4/projects/42/statuses/${'a'.repeat(40)}`;
const headers = { 'PRIVATE-TOKEN': 'bench-token', accept: 'application/json', 'user-agent': 'gradeflow', 'content-type': 'application/json' };
const payload = JSON.stringify({ state: 'success', name: 'gradeflow', description: 'Score 10/10', target_url: 'http://localhost/s/1' });
const agent = new Agent({ keepAliveTimeout: 30_000 });

const clients = {
  fetch: async (): Promise<unknown> => {
    const response = await fetch(url, { method: 'POST', headers, body: payload, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    return JSON.parse(await response.text());
  },
  undici: async (): Promise<unknown> => {
    const answer = await request(url, { method: 'POST', headers, body: payload, dispatcher: agent, signal: AbortSignal.timeout(10_000) });
    return JSON.parse(await answer.body.text());
  },
};

async function measure(call: () => Promise<unknown>): Promise<{ cpuMicros: number; perSecond: number }> {
  for (let i = 0; i < 300; i += 1) await call(); // warm up: connections, JIT
  const cpu = process.cpuUsage();
  const started = performance.now();
  let sent = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (sent < requests) {
      sent += 1;
      await call();
    }
  }));
  const used = process.cpuUsage(cpu);
  return { cpuMicros: (used.user + used.system) / requests, perSecond: requests / ((performance.now() - started) / 1000) };
}

try {
  for (let round = 1; round <= rounds; round += 1) {
    for (const [name, call] of Object.entries(clients)) {
      const { cpuMicros, perSecond } = await measure(call);
      console.log(`round ${round} ${name.padEnd(6)} ${cpuMicros.toFixed(0).padStart(5)} us of client CPU a request, ${perSecond.toFixed(0)} requests/s (${concurrency} at once)`);
    }
  }
} finally {
  await agent.close();
  server.stdin.end();
}
