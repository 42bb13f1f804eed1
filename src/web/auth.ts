// Bearer-token authentication of the staff API, shared by every API plugin. One token
// (GRADEFLOW_ADMIN_TOKEN) for now; without it configured every request is refused, so a fresh
// install never serves data to anyone.
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { tokensEqual } from '../gateway/index.ts';

/** An onRequest hook for a plugin's routes: 503 when disabled, 401 without the right token. */
export function requireAdminToken(adminToken: string | null): onRequestAsyncHookHandler {
  return (request, reply) => authorize(request, reply, adminToken);
}

export async function authorize(request: FastifyRequest, reply: FastifyReply, adminToken: string | null): Promise<unknown> {
  if (adminToken === null) {
    return reply.code(503).send({ error: 'API_DISABLED', message: 'the API is disabled: set GRADEFLOW_ADMIN_TOKEN to enable it' });
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  if (match === null) {
    reply.header('www-authenticate', 'Bearer');
    return reply.code(401).send({ error: 'UNAUTHENTICATED', message: 'send Authorization: Bearer <GRADEFLOW_ADMIN_TOKEN>' });
  }
  // Compared in constant time: response timing must not reveal how much of a guess was right.
  if (!tokensEqual(match[1] ?? '', adminToken)) {
    return reply.code(401).send({ error: 'INVALID_TOKEN', message: 'the bearer token is not valid' });
  }
  return undefined;
}
