// When to try a GitLab call again and how long to wait. 429 and 5xx are GitLab (or a proxy in
// front of it) being busy or away; other 4xx are about the request and will not get better.

/** Longest wait honoured from a Retry-After header; a longer one is cut to this. */
export const MAX_RETRY_AFTER_MS = 60_000;
const BASE_DELAY_MS = 500;
const MAX_BACKOFF_MS = 30_000;

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). Returns the wait in
 * milliseconds, capped at MAX_RETRY_AFTER_MS, or null when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    ms = Number(trimmed) * 1000;
  } else {
    // All three HTTP date formats start with a day name; Date.parse alone would take "-5" as a year.
    const at = /^[A-Za-z]{3,9},? /.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
    if (Number.isNaN(at)) return null;
    ms = Math.max(0, at - nowMs);
  }
  return Math.min(Math.round(ms), MAX_RETRY_AFTER_MS);
}

/**
 * Exponential backoff with jitter for retry number `retry` (1-based): 0.5 s, 1 s, 2 s, ... up
 * to 30 s, each scaled into [50 %, 100 %] so that workers that failed together do not return
 * together.
 */
export function backoffDelay(retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, BASE_DELAY_MS * 2 ** (retry - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}
