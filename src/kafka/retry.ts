// Retries transient failures with capped exponential backoff and jitter. A transient failure
// (database or broker briefly away) is retried until it succeeds or the consumer stops, since
// giving up would lose the record; a permanent one returns at once for the dead-letter topic.
import { setTimeout as delay } from 'node:timers/promises';

export interface RetryOptions {
  isRetryable(error: unknown): boolean;
  shouldStop(): boolean;
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Give up after this many attempts even for transient errors (default: never). */
  maxAttempts?: number;
}

export interface RetryResult {
  readonly attempts: number;
  readonly error?: unknown;
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
      if (options.shouldStop()) return { attempts: attempt, error, stopped: true };
      const delayMs = Math.min(max, initial * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      options.onRetry?.(error, attempt, Math.round(delayMs));
      await delay(delayMs);
      if (options.shouldStop()) return { attempts: attempt, error, stopped: true };
    }
  }
}
