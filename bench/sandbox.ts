// Baseline of the local-executor exam: how fast this machine starts and finishes the real
// bubblewrap sandbox (src/runner) running `true`, and a whole runCheck (git fetch of the
// student's commit, hidden tests, sandbox running the bench check's command, artifacts),
// with as many at once as the check-runners get (GRADEFLOW_RUNNER_CONCURRENCY).
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_RUNNER_LIMITS, runCheck } from '../src/runner/index.ts';
import { runInSandbox } from '../src/runner/sandbox.ts';
import { FsArtifactStore } from '../src/storage/index.ts';
import type { BenchContext } from './lib/context.ts';
import { makeStudentRepo, writeCourse } from './lib/infra.ts';

const SECTION = 'sandbox';

export interface SandboxBaseline {
  readonly sandboxPerSecond: number;
  readonly runCheckPerSecond: number;
}

/** Runs `once` `runs` times, `concurrency` at a time; a failure is counted, not fatal. */
async function loop(concurrency: number, runs: number, once: (slot: number, i: number) => Promise<void>, failed: (error: unknown) => void): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, slot) => {
    while (next < runs) {
      const i = next++;
      await once(slot, i).catch(failed);
    }
  }));
  return runs / ((performance.now() - started) / 1000);
}

export async function sandboxBaseline(context: BenchContext): Promise<SandboxBaseline> {
  const { options, report } = context;
  const dir = path.join(context.runDir, 'sandbox');
  mkdirSync(dir, { recursive: true });
  // The sandbox uid must be able to reach the work dirs (as GRADEFLOW_DATA_DIR must be).
  chmodSync(context.runDir, 0o755);
  chmodSync(dir, 0o755);
  const concurrency = options.runnerConcurrency;
  const runs = options.sandboxRuns;
  let failures = 0;
  let firstFailure = '';
  const failed = (error: unknown) => {
    failures += 1;
    firstFailure ||= error instanceof Error ? error.message : String(error);
  };
  // Sandbox uids of their own (check-runners use 60000 + slot): RLIMIT_NPROC counts every
  // process of a uid on the machine, so a test suite running sandboxes at the same time must
  // not eat into the baseline's limit.
  const uidOf = (slot: number) => 61_000 + slot;
  const sandboxRate = await loop(concurrency, runs, async (slot) => {
    const workDir = mkdtempSync(path.join(dir, 'true-'));
    chmodSync(workDir, 0o777);
    try {
      const uid = uidOf(slot);
      const result = await runInSandbox({ workDir, command: 'true', timeoutMs: 30_000, memoryBytes: 256 * 1024 * 1024, limits: { ...DEFAULT_RUNNER_LIMITS, sandboxUid: uid, sandboxGid: uid } });
      if (result.exitCode !== 0) failed(new Error(`exit ${result.exitCode}`));
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }, failed);
  report.figure(SECTION, 'sandbox running `true`, started and finished per second', Number(sandboxRate.toFixed(1)), '/s', `${runs} runs, ${concurrency} at once`);

  const coursesDir = writeCourse(path.join(dir, 'courses'), { slug: 'sandbox', executor: 'local', deadline: new Date(Date.now() + 86_400_000) });
  const repo = makeStudentRepo(path.join(dir, 'repo.git'), runs);
  const store = new FsArtifactStore(path.join(dir, 'artifacts'));
  const check = { executor: 'local' as const, tests: path.join(coursesDir, 'tests', 'bench'), command: 'cp expected-report.xml report.xml', report: 'report.xml', timeoutSeconds: 60, memoryMb: 256 };
  const checkRate = await loop(concurrency, runs, async (slot, i) => {
    const uid = uidOf(slot);
    const outcome = await runCheck(
      { submissionId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, repoUrl: repo.url, commitSha: repo.shas[i] as string, check },
      { workRoot: path.join(dir, 'work'), store, limits: { sandboxUid: uid, sandboxGid: uid } },
    );
    if (outcome.verdict !== 'completed') failed(new Error(`verdict ${outcome.verdict}: ${outcome.message}`));
  }, failed);
  report.figure(SECTION, 'runCheck (git fetch + sandbox + artifacts) per second', Number(checkRate.toFixed(1)), '/s', `${runs} checks, ${concurrency} at once`);
  // Every submission of the local exam is one runCheck and more (Kafka, PostgreSQL, statuses),
  // so this ratio bounds the exam's ratio to the sandbox baseline from above.
  report.figure(SECTION, 'ratio runCheck / sandbox `true`', Number((checkRate / sandboxRate).toFixed(3)), '',
    'the most a local exam can reach against the sandbox baseline on this machine: each submission is a runCheck');
  report.check(SECTION, 'every sandbox run succeeded', failures === 0, `${failures} failed of ${2 * runs}${firstFailure === '' ? '' : `; first: ${firstFailure.slice(0, 300)}`}`);
  return { sandboxPerSecond: sandboxRate, runCheckPerSecond: checkRate };
}
