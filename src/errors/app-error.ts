// Errors carry a stable code, a cause and a retry verdict. Consumers decide to retry,
// dead-letter or drop only through `retryable`; HTTP status codes are chosen at the HTTP edge.
export interface AppErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  details?: Readonly<Record<string, unknown>>;
}

export class AppError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

/** An error's own verdict (AppError, DatabaseError and the like carry `retryable`) decides.
 * Errors without one (network resets, driver failures) are assumed transient: retrying is safe
 * because every effect is idempotent. */
export function isRetryable(error: unknown): boolean {
  const verdict = error instanceof Error ? (error as Error & { retryable?: unknown }).retryable : undefined;
  return typeof verdict === 'boolean' ? verdict : true;
}

export function errorCode(error: unknown): string {
  if (error instanceof AppError) return error.code;
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  if (typeof code === 'string') return code;
  return 'UNEXPECTED';
}
