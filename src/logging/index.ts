export { createLogger, REDACTED_PATHS } from './logger.ts';
export type { Logger } from './logger.ts';
export { lazyLogger } from './lazy.ts';
