import { GenericError, findErrorBy } from '@platformatic/kafka';
import { AppError } from '../errors/index.ts';

/** Wraps a client error with a stable code. Broker and network errors are transient: the
 * broker may be restarting or electing a leader, and every write is idempotent. */
export function toAppError(error: unknown, doing: string): AppError {
  if (error instanceof AppError) return error;
  const message = error instanceof Error ? error.message : String(error);
  // The one broker answer retrying cannot fix: the record is over the topic's size limit.
  if (isRecordTooLarge(error)) {
    return new AppError('KAFKA_RECORD_TOO_LARGE', `Kafka refuses the record while ${doing}: it is larger than the topic accepts`, { retryable: false, cause: error });
  }
  const clientError = error instanceof Error && GenericError.isGenericError(error);
  const userError = clientError && (error as GenericError).code === 'PLT_KFK_USER';
  return new AppError(userError ? 'KAFKA_USAGE' : 'KAFKA_UNAVAILABLE', `Kafka failed while ${doing}: ${message}`, {
    retryable: !userError,
    cause: error,
  });
}

export function isRecordTooLarge(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return findErrorBy(error, 'apiId', 'MESSAGE_TOO_LARGE') !== null || findErrorBy(error, 'apiId', 'RECORD_LIST_TOO_LARGE') !== null;
}
