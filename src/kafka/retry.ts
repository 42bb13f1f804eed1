// Retry policy of a consumer group, and the short in-place retry loop.
//
// A transient failure (database or broker briefly away) is first retried in place a few times
// within about a second: a blip then costs nothing and does not reorder the partition. If it
// persists, the record moves to the group's retry topic (see retry-topics.ts) with a due time of
// now + backoff(attempt), so it no longer holds up its partition; after `maxAttempts` deliveries
// it goes to the dead-letter topic. A permanent failure skips all of that.
import { setTimeout as delay } from 'node:timers/promises';

export interface RetryPolicy {
  /** Deliveries to the handler before the dead-letter topic, the first one included. */
  readonly maxAttempts: number;
  /** Wait before the second delivery; doubles for every further one. */
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Tries inside one delivery, in place, before the record moves to the retry topic. */
  readonly inPlaceTries: number;
  /** First in-place pause; doubles (3 tries take about 0.2 + 0.4 s). */
  readonly inPlaceDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  initialBackoffMs: 1_000,
  maxBackoffMs: 5 * 60_000,
  inPlaceTries: 3,
  inPlaceDelayMs: 200,
};

/** The default policy with the given overrides, checked (a bad policy is a programming error). */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...overrides };
  for (const [name, value] of Object.entries(policy)) {
    const least = name === 'maxAttempts' || name === 'inPlaceTries' ? 1 : 0;
    if (!Number.isInteger(value) || value < least) throw new RangeError(`retry policy: ${name} must be a whole number >= ${least}, got ${value}`);
  }
  if (policy.maxBackoffMs < policy.initialBackoffMs) throw new RangeError('retry policy: maxBackoffMs must be >= initialBackoffMs');
  return policy;
}

/** Wait after the `attempt`-th failed delivery (1-based): initial, doubling, capped. */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, attempt - 1));
}

/** Sleeps `ms`; resolves false at once when `signal` aborts (shutdown or partition revoked). */
export async function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted === true) return false;
  if (ms <= 0) return true;
  try {
    await delay(ms, undefined, signal === undefined ? undefined : { signal });
    return true;
  } catch {
    return false;
  }
}

export interface RetryOptions {
  isRetryable(error: unknown): boolean;
  /** Aborting stops the loop between tries (the try in progress is not interrupted). */
  signal?: AbortSignal;
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Give up after this many tries even for transient errors (default: never). */
  maxAttempts?: number;
}

export interface RetryResult {
  readonly attempts: number;
  readonly error?: unknown;
  /** The signal aborted before the work succeeded or failed for good: nothing was decided. */
  readonly stopped: boolean;
}

export async function retryTransient(work: () => Promise<void>, options: RetryOptions): Promise<RetryResult> {
  const initial = options.initialDelayMs ?? 100;
  const max = options.maxDelayMs ?? 10_000;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await work();
      return { attempts: attempt, stopped: false };
    } catch (error) {
      const exhausted = options.maxAttempts !== undefined && attempt >= options.maxAttempts;
      if (!options.isRetryable(error) || exhausted) return { attempts: attempt, error, stopped: false };
      // Jitter: members that failed together (database restart) do not retry in lockstep.
      const delayMs = Math.round(Math.min(max, initial * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
      options.onRetry?.(error, attempt, delayMs);
      if (!(await sleep(delayMs, options.signal))) return { attempts: attempt, error, stopped: true };
    }
  }
}
