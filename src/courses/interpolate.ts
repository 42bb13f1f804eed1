import type { Env } from './types.ts';

export interface Interpolated {
  /** undefined when a referenced variable is unset and has no default. */
  readonly value: string | undefined;
  /** Variables that were unset (or empty) with no default. */
  readonly unset: readonly string[];
  /** Values taken from the environment; callers redact them from messages. */
  readonly substituted: readonly string[];
  readonly errors: readonly string[];
}

// `$$` escapes a dollar, `${...}` is a reference, a lone `${` is an error.
const TOKEN = /\$\$|\$\{([^{}]*)\}|\$\{/g;
const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([^]*))?$/;

/**
 * Expands ${VAR} and ${VAR:-default} in one scalar. An empty variable counts
 * as unset, like the shell's `:-`, so `SECRET=` in an env file cannot turn
 * into an empty (and thus guessable) webhook secret.
 */
export function interpolate(text: string, env: Env): Interpolated {
  const unset: string[] = [];
  const substituted: string[] = [];
  const errors: string[] = [];
  const value = text.replace(TOKEN, (token: string, inner: string | undefined) => {
    if (token === '$$') return '$';
    const ref = inner === undefined ? null : REFERENCE.exec(inner);
    if (!ref) {
      errors.push('invalid variable reference; expected ${NAME} or ${NAME:-default} ' +
        '(write $$ for a literal $)');
      return '';
    }
    const name = ref[1] as string;
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') {
      substituted.push(fromEnv);
      return fromEnv;
    }
    if (ref[2] !== undefined) return ref[2];
    unset.push(name);
    return '';
  });
  return { value: unset.length > 0 ? undefined : value, unset, substituted, errors };
}

// Short values (a timeout of "60") would mangle unrelated text if redacted,
// and are not secrets worth the name anyway.
const MIN_REDACTED_LENGTH = 6;

/** Replaces every environment-supplied value in a message with ***. */
export function redact(message: string, secrets: Iterable<string>): string {
  let out = message;
  for (const secret of secrets) {
    if (secret.length >= MIN_REDACTED_LENGTH) out = out.split(secret).join('***');
  }
  return out;
}
