// pino with redaction of everything that can hold a secret, so that a token never reaches a
// log line even when a request or an error object is logged whole.
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { LogLevel } from '../config/index.ts';

export const REDACTED_PATHS = [
  'token',
  '*.token',
  'secret',
  '*.secret',
  'webhookSecret',
  '*.webhookSecret',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["x-gitlab-token"]',
  'req.headers.authorization',
  'req.headers["x-gitlab-token"]',
  'databaseUrl',
  'redisUrl',
];

export function createLogger(level: LogLevel, name = 'gradeflow', destination?: NodeJS.WritableStream): Logger {
  const options = { name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}

export type { Logger };
