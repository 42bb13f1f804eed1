// A logger made on first use. pino's child() serialises (and redacts) its bindings at once,
// which costs more than the work of a webhook or a record that logs nothing; hot paths hand out
// this stand-in and pay for the child only when a line is written.
import type { Logger } from 'pino';

// What callers and Fastify's logger check touch without writing: answered without making it.
const LEVEL_METHODS = new Set<PropertyKey>(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent', 'child']);

export function lazyLogger(make: () => Logger): Logger {
  let made: Logger | undefined;
  const real = (): Logger => (made ??= make());
  return new Proxy({} as Logger, {
    get(_target, property) {
      if (made === undefined && LEVEL_METHODS.has(property)) {
        return (...args: unknown[]) => (Reflect.get(real(), property) as (...a: unknown[]) => unknown).apply(made, args);
      }
      const value: unknown = Reflect.get(real(), property);
      return typeof value === 'function' ? value.bind(made) : value;
    },
  });
}
