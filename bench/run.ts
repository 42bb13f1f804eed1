// `npm run bench`: Gradeflow's performance on this machine, with the real broker, PostgreSQL
// and the real services, each section against a baseline of the same machine. See
// docs/performance.md for what each figure means and bench/lib/options.ts for the options.
//
//   npm run bench                  the full run (about 15-25 minutes on 2 cores)
//   npm run bench -- --quick       CI-sized: completes, 0 lost, 0 duplicates, or exits 1
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import path from 'node:path';
import { consume } from './consume.ts';
import { exam } from './exam.ts';
import { ingest } from './ingest.ts';
import type { IngestOutcome } from './ingest.ts';
import type { BenchContext } from './lib/context.ts';
import { startBroker } from './lib/infra.ts';
import type { Broker } from './lib/infra.ts';
import { UsageError, parseOptions } from './lib/options.ts';
import { killAllChildren } from './lib/processes.ts';
import type { BenchOptions, Section } from './lib/options.ts';
import { Report } from './lib/report.ts';
import { perKey } from './per-key.ts';
import { sandboxBaseline } from './sandbox.ts';
import type { SandboxBaseline } from './sandbox.ts';

function describeMachine(broker: Broker): string {
  // First line of what a tool prints about its version (java and bwrap use stderr).
  const version = (cmd: string, args: string[]) => {
    const result = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n')[0] ?? '?';
  };
  return [
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `node ${process.version}; kafka ${broker.version} (${broker.pid === null ? 'KAFKA_BROKERS' : 'embedded, 1 KRaft node'}); ${version('java', ['-version'])}`,
    `${version('psql', ['--version'])}; bwrap ${version('bwrap', ['--version'])}; ${version('git', ['--version'])}`,
  ].join('\n');
}

async function timed<T>(context: BenchContext, name: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    context.report.log(name, `section took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
}

async function sections(context: BenchContext, options: BenchOptions): Promise<void> {
  const has = (name: Section) => options.sections.has(name);
  let ingested: IngestOutcome | null = null;
  // Consumption reads what ingestion wrote.
  if (has('ingest') || has('consume')) ingested = await timed(context, 'ingest', () => ingest(context));
  if (has('consume') && ingested !== null) await timed(context, 'consume', () => consume(context, ingested));
  if (has('per-key')) await timed(context, 'per-key', () => perKey(context));
  if (has('exam-ci')) await timed(context, 'exam-ci', () => exam(context, 'gitlab-ci', null));
  let baseline: SandboxBaseline | null = null;
  // The local exam is compared with the sandbox baseline, so it runs that first.
  if (has('sandbox') || has('exam-local')) baseline = await timed(context, 'sandbox', () => sandboxBaseline(context));
  if (has('exam-local')) await timed(context, 'exam-local', () => exam(context, 'local', baseline));
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const runId = `${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}-${randomBytes(2).toString('hex')}`;
  const runDir = mkdtempSync(path.join(tmpdir(), 'gradeflow-bench-'));
  const logDir = path.join(runDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  if (options.cpuProfDir !== null) mkdirSync(options.cpuProfDir, { recursive: true });
  const report = new Report();
  report.log('bench', `run ${runId}${options.quick ? ' (--quick)' : ''}; logs in ${logDir}`);
  const broker = await startBroker(path.join(runDir, 'broker'), (line) => report.log('kafka', line));
  const context: BenchContext = { options, report, broker, runId, runDir, logDir };
  report.log('bench', describeMachine(broker).replaceAll('\n', '\n[bench] '));
  let crashed: unknown = null;
  try {
    await sections(context, options);
  } catch (error) {
    crashed = error;
    report.check('bench', 'ran to the end', false, error instanceof Error ? (error.stack ?? error.message) : String(error));
  } finally {
    await broker.stop();
  }
  const summary = report.summary();
  process.stdout.write(`\n${summary}\n\n`);
  if (options.jsonOut !== null) {
    writeFileSync(options.jsonOut, `${JSON.stringify({ runId, quick: options.quick, options: { ...options, sections: [...options.sections] }, machine: describeMachine(broker), figures: report.figures, checks: report.checks }, null, 2)}\n`);
  }
  const failed = report.failed;
  process.stdout.write(`bench ${failed.length === 0 ? 'passed' : `FAILED (${failed.length} check(s))`} in ${Math.round((Date.now() - started) / 1000)} s\n`);
  if (failed.length === 0 && crashed === null && !options.keep) rmSync(runDir, { recursive: true, force: true });
  else process.stdout.write(`run directory kept: ${runDir}\n`);
  return failed.length === 0 && crashed === null ? 0 : 1;
}

// Ctrl-C or SIGTERM: the services, helpers and load generators go with the bench (the broker
// JVM gets its parent-death signal from the kernel).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    const killed = killAllChildren();
    process.stderr.write(`bench: ${signal}, stopped ${killed} child process(es)\n`);
    process.exit(130);
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      // --help (no message) is not an error.
      process.stderr.write(`${error.message === '' ? '' : `${error.message}\n`}${error.usage}\n`);
      process.exitCode = error.message === '' ? 0 : 2;
      return;
    }
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
