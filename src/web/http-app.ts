// The HTTP app factory: one Fastify instance carrying the webhook gateway, the API and the
// operational endpoints. Every error leaves as JSON `{ error, message }`; 5xx never echo
// internals. Tests use it with app.inject() and over real HTTP.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from '../logging/index.ts';
import { lazyLogger } from '../logging/index.ts';

const CLIENT_ERROR_CODES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_CONTENT_LENGTH',
};

export interface HttpAppOptions {
  readonly log: Logger;
  readonly bodyLimitBytes: number;
  /** Longest a request may take to arrive, headers and body (default 30 s; GitLab waits 10 s). */
  readonly requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const app = Fastify({
    // pino's Logger is structurally Fastify's logger; the cast keeps the default instance type.
    loggerInstance: options.log as unknown as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes,
    // Slow-loris: a request whose headers and body do not all arrive within requestTimeout is
    // answered 408 and closed, however steadily it trickles. Node checks only every
    // connectionsCheckingInterval (30 s by default) and lets headers take 60 s: both are
    // tightened so the cut-off is at most requestTimeout + 1 s.
    requestTimeout,
    http: { headersTimeout: Math.min(requestTimeout, 10_000), connectionsCheckingInterval: Math.max(100, Math.min(1_000, requestTimeout / 4)) },
    connectionTimeout: 60_000,
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => answerClientError(options.log, requestTimeout, error, socket),
    return503OnClosing: true,
    // One line per webhook at exam peaks is noise; outcomes are logged and counted instead.
    logController: new LogController({ disableRequestLogging: true }),
    // Most requests log nothing: their child logger (reqId) is made only when they do.
    childLoggerFactory: (logger, bindings, childOptions) => lazyLogger(() => (logger as unknown as Logger).child(bindings, childOptions)) as unknown as FastifyBaseLogger,
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send({ error: 'INTERNAL', message: 'internal error; see the server log' });
    }
    const code = CLIENT_ERROR_CODES[error.code] ?? error.code ?? 'BAD_REQUEST';
    return reply.code(status).send({ error: code, message: describeClientError(code, error) });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'NOT_FOUND', message: `no route for ${request.method} ${request.url.split('?')[0]}` }),
  );
  return app;
}

/** What llhttp's error codes usually mean, for the answer to a client that sent them. */
const PARSE_HINTS: Readonly<Record<string, string>> = {
  HPE_CLOSED_CONNECTION: ': bytes after the end of the request; is Content-Length shorter than the body?',
  HPE_INVALID_METHOD: ': bytes after the end of the request; is Content-Length shorter than the body?',
  HPE_INVALID_EOF_STATE: ': the connection closed before the body was complete; is Content-Length longer than the body?',
  HPE_INVALID_CONTENT_LENGTH: ': Content-Length is not one valid length',
  HPE_UNEXPECTED_CONTENT_LENGTH: ': Content-Length and Transfer-Encoding together',
  HPE_INVALID_TRANSFER_ENCODING: ': Content-Length and Transfer-Encoding together',
  HPE_INVALID_HEADER_TOKEN: ': a header line is malformed',
  HPE_INVALID_VERSION: ': only HTTP/1.0 and 1.1 are served',
};

/**
 * Requests that never reach a route: timed out, malformed HTTP, headers too large. Answered as
 * JSON like every other error. Logged by code only: Node attaches the raw bytes received
 * (rawPacket) to parse errors, and those hold the X-Gitlab-Token and Authorization headers.
 */
function answerClientError(log: Logger, requestTimeout: number, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'REQUEST_TIMEOUT', `the request did not arrive completely within ${requestTimeout} ms`]
    : error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'HEADERS_TOO_LARGE', 'the request headers are larger than 16 KiB']
    : [400, 'MALFORMED_REQUEST', `the request is not valid HTTP/1.1 (${error.code ?? 'parse error'}${PARSE_HINTS[error.code ?? ''] ?? ''})`];
  log.debug({ code: error.code, status }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify({ error: code, message });
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? code}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

function describeClientError(code: string, error: FastifyError): string {
  switch (code) {
    case 'BODY_TOO_LARGE':
      return `request body is larger than the limit (${error.message.replace(/^.*?(\d+).*$/s, '$1') || 'configured'} bytes; GRADEFLOW_WEBHOOK_BODY_LIMIT)`;
    case 'INVALID_JSON':
      return `request body is not valid JSON: ${error.message}`;
    default:
      return error.message;
  }
}
