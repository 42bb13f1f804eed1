// One GitLab API call with retries. Retries cover 429, 5xx and network errors (including
// timeouts); any other answer that is not 2xx is final. Every text that leaves this file, in an
// error or a log line, has passed through the redactor first.
//
// Requests go through undici's request() on a keep-alive Agent of the transport's own, not the
// global fetch (the same client under a WHATWG layer): 119-161 us of CPU a request against
// 380-532 us (bench/tools/http-client-cost.ts, docs/performance.md). Like fetch with redirect: 'manual',
// it never follows a redirect, so PRIVATE-TOKEN is never resent to wherever one points.
import { Agent, request as httpRequest } from 'undici';
import { AppError } from '../errors/index.ts';
import type { Logger } from '../logging/index.ts';
import { describeNetworkError, redactedError } from './redact.ts';
import type { Redact } from './redact.ts';
import { backoffDelay, isRetryableStatus, parseRetryAfter } from './retry-policy.ts';

export interface TransportOptions {
  readonly apiBase: string;
  readonly token: string;
  readonly userAgent: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: Logger | undefined;
  readonly redact: Redact;
}

export interface ApiRequest {
  /** The client method, for messages and logs (`setCommitStatus`). */
  readonly operation: string;
  readonly method: 'GET' | 'POST';
  /** Below /api/v4, already encoded (`/projects/a%2Fb/statuses/...`). */
  readonly path: string;
  readonly body?: unknown;
}

type Attempt =
  | { readonly ok: true; readonly json: unknown }
  | { readonly ok: false; readonly reason: string; readonly retryAfterMs: number | null; readonly cause?: Error };

const MAX_MESSAGE_CHARS = 500;

/** What is read of an answer: status, headers (lower-case names, as undici gives them) and body. */
interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

function header(answer: Answer, name: string): string | null {
  const value = answer.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

export class GitLabTransport {
  // A private field: util.inspect and JSON.stringify of this object do not show it.
  readonly #token: string;
  readonly #options: Omit<TransportOptions, 'token'>;
  /** Idle connections do not keep the process alive (undici unrefs them). */
  readonly #agent = new Agent({ keepAliveTimeout: 30_000 });

  constructor(options: TransportOptions) {
    const { token, ...rest } = options;
    this.#token = token;
    this.#options = rest;
  }

  async send(request: ApiRequest): Promise<unknown> {
    const { maxRetries, sleep, log, redact } = this.#options;
    for (let retry = 0; ; retry += 1) {
      const attempt = await this.#attempt(request);
      if (attempt.ok) return attempt.json;
      if (retry >= maxRetries) throw this.#unavailable(request, attempt, retry + 1);
      // Retry-After is GitLab telling us when it can take the request; guessing sooner only
      // earns another 429.
      const delayMs = attempt.retryAfterMs ?? backoffDelay(retry + 1);
      const where = { operation: request.operation, method: request.method, path: redact(request.path) };
      log?.warn({ ...where, attempt: retry + 1, reason: attempt.reason, delayMs }, 'GitLab request failed, retrying');
      await sleep(delayMs);
    }
  }

  async #attempt(request: ApiRequest): Promise<Attempt> {
    const { apiBase, timeoutMs, log, redact } = this.#options;
    let response: Answer;
    try {
      const answer = await httpRequest(apiBase + request.path, {
        method: request.method,
        headers: this.#headers(request.body !== undefined),
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        dispatcher: this.#agent,
        signal: AbortSignal.timeout(timeoutMs),
      });
      response = { status: answer.statusCode, headers: answer.headers, text: await answer.body.text() };
    } catch (error) {
      return { ok: false, reason: redact(describeNetworkError(error)), retryAfterMs: null, cause: redactedError(error, redact) };
    }
    const { status, text } = response;
    log?.debug({ operation: request.operation, method: request.method, path: redact(request.path), status }, 'GitLab request');
    if (status >= 200 && status < 300) return { ok: true, json: this.#json(request, text) };
    if (isRetryableStatus(status)) {
      const message = gitlabMessage(text, redact);
      const retryAfterMs = parseRetryAfter(header(response, 'retry-after'), Date.now());
      return { ok: false, reason: `HTTP ${status}${message === '' ? '' : ` ${message}`}`, retryAfterMs };
    }
    throw this.#rejected(request, response, text);
  }

  #headers(hasBody: boolean): Record<string, string> {
    const headers: Record<string, string> = {
      'PRIVATE-TOKEN': this.#token,
      accept: 'application/json',
      'user-agent': this.#options.userAgent,
    };
    if (hasBody) headers['content-type'] = 'application/json';
    return headers;
  }

  #json(request: ApiRequest, text: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      throw new AppError('GITLAB_BAD_RESPONSE', `GitLab answered ${describe(request, this.#options.redact)} with a body that is not JSON`, {
        retryable: false,
        details: { operation: request.operation },
      });
    }
  }

  #rejected(request: ApiRequest, response: Answer, text: string): AppError {
    const { redact } = this.#options;
    const status = response.status;
    const location = header(response, 'location');
    // A 3xx here means GITLAB_URL points at the wrong place (http instead of https, a moved host).
    const message =
      status >= 300 && status < 400
        ? `redirected${location === null ? '' : ` to ${redact(location)}`}; check GITLAB_URL`
        : gitlabMessage(text, redact);
    return new AppError(
      'GITLAB_REJECTED',
      `GitLab rejected ${describe(request, redact)}: HTTP ${status}${message === '' ? '' : ` ${message}`}`,
      {
        retryable: false,
        details: { status, operation: request.operation, method: request.method, path: redact(request.path), gitlabMessage: message },
      },
    );
  }

  #unavailable(request: ApiRequest, attempt: Extract<Attempt, { ok: false }>, attempts: number): AppError {
    const { redact } = this.#options;
    return new AppError(
      'GITLAB_UNAVAILABLE',
      `GitLab did not complete ${describe(request, redact)} after ${attempts} attempts: ${attempt.reason}`,
      {
        retryable: true,
        cause: attempt.cause,
        details: { operation: request.operation, method: request.method, path: redact(request.path), attempts, lastError: attempt.reason },
      },
    );
  }
}

function describe(request: ApiRequest, redact: Redact): string {
  return `${request.operation} (${request.method} ${redact(request.path)})`;
}

/**
 * GitLab's error bodies: `{"message": "404 Project Not Found"}`, validation errors as
 * `{"message": {"field": ["is too long"]}}`, Grape's `{"error": "ref is missing"}`, OAuth's
 * `{"error": ..., "error_description": ...}`; a proxy may send HTML or plain text.
 */
export function gitlabMessage(text: string, redact: Redact): string {
  let message = text;
  try {
    const body: unknown = JSON.parse(text);
    if (body !== null && typeof body === 'object') {
      const { message: m, error, error_description: description } = body as Record<string, unknown>;
      const parts = [m, error, description].filter((part) => part !== undefined && part !== null);
      message = parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(': ');
    }
  } catch {
    // Not JSON: the raw text is the message.
  }
  const oneLine = redact(message).replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_MESSAGE_CHARS ? `${oneLine.slice(0, MAX_MESSAGE_CHARS - 1)}…` : oneLine;
}
