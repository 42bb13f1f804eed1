// The token must never leave the client: not in logs, not in error messages, not in an error's
// cause. Everything that came from outside (GitLab's error bodies may echo the request, a
// network error may quote the URL) goes through a redactor before it is kept anywhere.

export const REDACTED = '[redacted]';

export type Redact = (text: string) => string;

export function createRedactor(secret: string): Redact {
  // The plain token and its encodings (in a URL query or a JSON string) are all covered.
  const forms = [...new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])]
    .filter((form) => form.length > 0)
    .sort((a, b) => b.length - a.length);
  return (text) => forms.reduce((result, form) => result.split(form).join(REDACTED), text);
}

/** One line for a network error of fetch or undici: `fetch failed` alone says nothing, its cause does. */
export function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'timed out';
  // fetch wraps the reason (TypeError 'fetch failed', cause ECONNREFUSED); undici's request()
  // throws it as it is (ECONNREFUSED, UND_ERR_SOCKET 'other side closed').
  const reason = error.cause instanceof Error ? error.cause : error;
  const code = (reason as Error & { code?: unknown }).code;
  return `${typeof code === 'string' ? code : reason.name}: ${reason.message}`;
}

/** A stand-in for an error that may quote the token: same name and code, redacted message, no stack from outside. */
export function redactedError(error: unknown, redact: Redact): Error {
  const copy = new Error(redact(describeNetworkError(error)));
  copy.name = error instanceof Error ? error.name : 'Error';
  return copy;
}
