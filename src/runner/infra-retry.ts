// Infrastructure failures (clone failed, sandbox could not start) are the host's fault, not the
// student's: retried a few times, then reported as a system error — which grades nothing and
// costs the student no attempt.
import { setTimeout as delay } from 'node:timers/promises';
import { errorCode, isRetryable } from '../errors/index.ts';
import type { Logger } from '../logging/index.ts';
import { LeaseRefused, runCheck } from './run-check.ts';
import type { CheckJob, CheckOutcome, RunnerDeps } from './types.ts';

export interface InfraRetryOptions {
  readonly attempts?: number;
  readonly delayMs?: number;
}

export async function runWithInfraRetries(job: CheckJob, deps: RunnerDeps, log: Logger, options: InfraRetryOptions = {}): Promise<CheckOutcome> {
  const attempts = options.attempts ?? 3;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    const started = Date.now();
    try {
      return await runCheck(job, deps);
    } catch (error) {
      // The caller's own refusal (superseded, its database away): the caller deals with it.
      if (error instanceof LeaseRefused) throw error.cause;
      lastError = error;
      if (!isRetryable(error)) break;
      log.warn({ err: error, attempt, durationMs: Date.now() - started }, 'check infrastructure failed; retrying');
      if (attempt < attempts) await delay((options.delayMs ?? 1_000) * attempt);
    }
  }
  log.error({ err: lastError, code: errorCode(lastError) }, 'check infrastructure failed for good; reporting a system error');
  return {
    verdict: 'system-error',
    exitCode: null,
    durationMs: 0,
    reports: [],
    reportUris: [],
    logUri: null,
    message: `The check could not run (${errorCode(lastError)}: ${lastError instanceof Error ? lastError.message : String(lastError)}). This is not your fault and does not count as an attempt.`,
  };
}
