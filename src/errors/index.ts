export { AppError, isRetryable, errorCode } from './app-error.ts';
export type { AppErrorOptions } from './app-error.ts';
