/**
 * One error type for both adapters, so callers branch on a stable `code`
 * instead of driver-specific shapes (pg vs PGlite) or message text.
 */

export type DbErrorCode =
  | 'DB_UNAVAILABLE' // cannot reach the server / connection lost (retryable)
  | 'DB_CONNECTION_REJECTED' // server answered but refused us (auth, unknown database)
  | 'DB_CONFIG_INVALID' // unusable connection URL or options
  | 'DB_UNIQUE_VIOLATION' // SQLSTATE 23505
  | 'DB_CONSTRAINT_VIOLATION' // other SQLSTATE class 23 (check, not null, foreign key)
  | 'DB_INVALID_INPUT' // SQLSTATE class 22 (bad uuid, out of range, ...)
  | 'DB_SERIALIZATION_FAILURE' // 40001 / 40P01 (retryable)
  | 'DB_TRANSACTION_ABORTED' // a statement failed inside the transaction; COMMIT rolled back
  | 'DB_QUERY_FAILED' // any other server-side error; see sqlState
  | 'DB_CLOSED' // used after close()
  | 'DB_MISUSE' // API misuse, e.g. db.query() inside db.transaction()
  | 'DB_SCHEMA_TOO_NEW' // database has migrations this code does not know
  | 'DB_MIGRATION_FAILED';

export interface DatabaseErrorDetails {
  retryable?: boolean;
  sqlState?: string;
  constraint?: string;
  detail?: string;
}

export class DatabaseError extends Error {
  readonly code: DbErrorCode;
  readonly retryable: boolean;
  /** PostgreSQL SQLSTATE when the server reported the error (e.g. '23505'). */
  readonly sqlState: string | undefined;
  readonly constraint: string | undefined;
  readonly detail: string | undefined;

  constructor(code: DbErrorCode, message: string, details: DatabaseErrorDetails = {}) {
    super(message);
    this.name = 'DatabaseError';
    this.code = code;
    this.retryable = details.retryable ?? false;
    this.sqlState = details.sqlState;
    this.constraint = details.constraint;
    this.detail = details.detail;
  }
}

export function isDatabaseError(err: unknown, code?: DbErrorCode): err is DatabaseError {
  return err instanceof DatabaseError && (code === undefined || err.code === code);
}

/** Replaces every occurrence of each secret; used on all driver text we pass on. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join('***');
  }
  return out;
}

const NETWORK_ERRNOS = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH',
  'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE',
]);

// pg reports lost or timed-out connections as plain Errors without a code.
const NETWORK_MESSAGES = /connection terminated|timeout exceeded when trying to connect|connection ended|client has encountered a connection error/i;

interface DriverErrorShape {
  message?: unknown;
  code?: unknown;
  severity?: unknown;
  constraint?: unknown;
  detail?: unknown;
  errors?: unknown;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** AggregateError (happy-eyeballs connect) has an empty message; use the inner ones. */
function messageOf(err: DriverErrorShape): string {
  const own = text(err.message);
  if (own) return own;
  if (Array.isArray(err.errors)) {
    return err.errors.map((e: DriverErrorShape) => text(e?.message) ?? 'unknown').join('; ');
  }
  return String(err);
}

function classifySqlState(sqlState: string): { code: DbErrorCode; retryable: boolean } {
  const cls = sqlState.slice(0, 2);
  if (cls === '08' || ['57P01', '57P02', '57P03', '53300'].includes(sqlState)) {
    return { code: 'DB_UNAVAILABLE', retryable: true };
  }
  if (cls === '28' || sqlState === '3D000') return { code: 'DB_CONNECTION_REJECTED', retryable: false };
  if (sqlState === '23505') return { code: 'DB_UNIQUE_VIOLATION', retryable: false };
  if (cls === '23') return { code: 'DB_CONSTRAINT_VIOLATION', retryable: false };
  if (cls === '22') return { code: 'DB_INVALID_INPUT', retryable: false };
  if (sqlState === '40001' || sqlState === '40P01') return { code: 'DB_SERIALIZATION_FAILURE', retryable: true };
  if (sqlState === '25P02') return { code: 'DB_TRANSACTION_ABORTED', retryable: false };
  return { code: 'DB_QUERY_FAILED', retryable: false };
}

export interface ErrorContext {
  /** Where we tried to connect, without credentials, for connection errors. */
  target: string;
  /** Strings that must never appear in messages (the URL password). */
  secrets: readonly string[];
}

/**
 * Converts anything a driver throws into a DatabaseError. The original error
 * is deliberately NOT attached as `cause`: driver errors can carry connection
 * parameters, and util.inspect would print them.
 */
export function toDatabaseError(err: unknown, ctx: ErrorContext): DatabaseError {
  if (err instanceof DatabaseError) return err;
  const shape: DriverErrorShape = typeof err === 'object' && err !== null ? err : { message: String(err) };
  const message = redact(messageOf(shape), ctx.secrets);
  const rawCode = text(shape.code);
  // Only server errors carry `severity`; errno strings like 'EPIPE' look like SQLSTATEs.
  if (rawCode && text(shape.severity)) {
    const { code, retryable } = classifySqlState(rawCode);
    const prefix = code === 'DB_UNAVAILABLE' || code === 'DB_CONNECTION_REJECTED' ? `PostgreSQL at ${ctx.target}: ` : '';
    const detail = text(shape.detail);
    return new DatabaseError(code, prefix + message, {
      retryable,
      sqlState: rawCode,
      constraint: text(shape.constraint),
      detail: detail === undefined ? undefined : redact(detail, ctx.secrets),
    });
  }
  if ((rawCode && NETWORK_ERRNOS.has(rawCode)) || NETWORK_MESSAGES.test(message)) {
    return new DatabaseError('DB_UNAVAILABLE', `cannot reach PostgreSQL at ${ctx.target}: ${message}`, { retryable: true });
  }
  return new DatabaseError('DB_QUERY_FAILED', message);
}
