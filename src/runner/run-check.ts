// runCheck: one submission, one local check, from git URL to stored artifacts.
import { AppError } from '../errors/index.ts';
import type { ArtifactStore } from '../storage/index.ts';
import { safeKeyPath } from '../storage/index.ts';
import { fetchCommit } from './git.ts';
import { redact, secretForms } from './redact.ts';
import { collectReports } from './reports.ts';
import { runInSandbox } from './sandbox.ts';
import type { SandboxResult } from './sandbox.ts';
import { DEFAULT_RUNNER_LIMITS } from './types.ts';
import type { CheckJob, CheckOutcome, RunnerDeps, RunnerLimits, Verdict } from './types.ts';
import { decideVerdict, explain, logTrailer } from './verdict.ts';
import { chownTree, createWorkDir, overlayTests, removeWorkDir } from './workspace.ts';

/** Host-side steps fail for host reasons: retryable, and never the student's verdict.
 * AppErrors pass through unless `wrapAll` (the store's own codes mean nothing to callers). */
async function infraStep<T>(what: string, fn: () => Promise<T>, wrapAll = false): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof AppError && !wrapAll) throw error;
    throw new AppError('CHECK_INFRA', `${what} failed: ${(error as Error).message}`, { retryable: true, cause: error });
  }
}

function validateJob(job: CheckJob): void {
  try {
    safeKeyPath(`${job.submissionId}/log.txt`);
  } catch (error) {
    throw new AppError('CHECK_INVALID_JOB', `submissionId cannot name artifacts: ${(error as Error).message}`);
  }
}

async function prepare(job: CheckJob, workDir: string, limits: RunnerLimits): Promise<void> {
  await fetchCommit(workDir, job.repoUrl, job.commitSha, { token: job.gitToken ?? null, timeoutMs: limits.gitTimeoutMs });
  await infraStep('laying the hidden tests', () => overlayTests(job.check.tests, workDir));
}

/** The lease's owner said no (or failed): its error is its own business, never a verdict or an
 * infrastructure retry, so runWithInfraRetries hands `cause` back unchanged. */
export class LeaseRefused extends Error {
  constructor(cause: unknown) {
    super('the sandbox lease was refused', { cause });
  }
}

/** Runs the check as the leased uid. Once the sandbox has ended (and its namespace is swept),
 * nothing runs as that uid and the work dir is bound into no other sandbox, so the lease can go
 * back before the reports are read. */
async function runLeased(job: CheckJob, workDir: string, limits: RunnerLimits, deps: RunnerDeps): Promise<SandboxResult> {
  const lease = deps.acquireSandbox === undefined
    ? { uid: limits.sandboxUid, gid: limits.sandboxGid, release: () => {} }
    : await deps.acquireSandbox().catch((error: unknown) => { throw new LeaseRefused(error); });
  try {
    await infraStep('handing the work dir to the sandbox uid', () => chownTree(workDir, lease.uid, lease.gid));
    return await runInSandbox({
      workDir, command: job.check.command, limits: { ...limits, sandboxUid: lease.uid, sandboxGid: lease.gid },
      timeoutMs: job.check.timeoutSeconds * 1000, memoryBytes: job.check.memoryMb * 1024 * 1024,
    });
  } finally {
    lease.release();
  }
}

interface Stored { logUri: string; reportUris: string[] }

async function storeArtifacts(
  store: ArtifactStore, job: CheckJob, log: string, reports: readonly string[],
): Promise<Stored> {
  return infraStep('storing artifacts', async () => {
    // Written side by side: each put waits for its own fsync.
    const [logUri, reportUris] = await Promise.all([
      store.put(`${job.submissionId}/log.txt`, log),
      Promise.all(reports.map((text, i) => store.put(`${job.submissionId}/report-${i + 1}.xml`, text))),
    ]);
    return { logUri, reportUris };
  }, true);
}

async function judge(job: CheckJob, workDir: string, run: SandboxResult, limits: RunnerLimits) {
  // Reports of a killed run are partial at best; the limit is the verdict.
  const collected = run.killedFor === null
    ? await infraStep('collecting reports', () => collectReports(workDir, job.check.report, limits))
    : { reports: [], problems: [] };
  const input = { run, reportCount: collected.reports.length, problems: collected.problems, check: job.check, limits };
  const verdict: Verdict = decideVerdict(input);
  return { verdict, message: explain(verdict, input), reports: collected.reports.map((r) => r.text) };
}

export async function runCheck(job: CheckJob, deps: RunnerDeps): Promise<CheckOutcome> {
  const limits: RunnerLimits = { ...DEFAULT_RUNNER_LIMITS, ...deps.limits };
  validateJob(job);
  const secrets = secretForms(job.gitToken);
  const workDir = await infraStep('creating the work dir', () => createWorkDir(deps.workRoot));
  try {
    await prepare(job, workDir, limits);
    const run = await runLeased(job, workDir, limits, deps);
    const { verdict, message, reports } = await judge(job, workDir, run, limits);
    const log = redact(run.output.text() + logTrailer(verdict, run), secrets);
    const stored = await storeArtifacts(deps.store, job, log, reports);
    return {
      verdict, exitCode: run.exitCode, durationMs: Math.round(run.durationMs), reports,
      reportUris: stored.reportUris, logUri: stored.logUri, message: redact(message, secrets),
    };
  } finally {
    await removeWorkDir(workDir);
  }
}
