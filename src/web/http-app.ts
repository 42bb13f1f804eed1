// The HTTP app factory: one Fastify instance carrying the webhook gateway, the API and the
// operational endpoints. Every error leaves as JSON `{ error, message }`; 5xx never echo
// internals. Tests use it with app.inject() and over real HTTP.
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from '../logging/index.ts';

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
}

export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    // pino's Logger is structurally Fastify's logger; the cast keeps the default instance type.
    loggerInstance: options.log as unknown as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes,
    // Slow-loris bodies: a client that stops sending is cut off instead of holding a socket.
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    return503OnClosing: true,
    // One line per webhook at exam peaks is noise; outcomes are logged and counted instead.
    logController: new LogController({ disableRequestLogging: true }),
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
