// The staff API. One bearer token (GRADEFLOW_ADMIN_TOKEN) for now; without it configured the
// API refuses every request, so a fresh install never serves data to anyone.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { tokensEqual } from '../gateway/index.ts';

export interface SubmissionView {
  readonly id: string;
  readonly course: string;
  readonly assignment: string;
  readonly student: string;
  readonly commitSha: string;
  readonly status: string;
  readonly receivedAt: Date;
}

export interface SubmissionFilter {
  readonly course?: string;
  readonly assignment?: string;
  readonly student?: string;
  readonly limit?: number;
}

export interface ApiRouteOptions {
  readonly adminToken: string | null;
  readonly listSubmissions: (filter: SubmissionFilter) => Promise<readonly SubmissionView[]>;
}

const SubmissionQuery = z.object({
  course: z.string().min(1).max(255).optional(),
  assignment: z.string().min(1).max(255).optional(),
  student: z.string().min(1).max(255).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export async function apiRoutes(app: FastifyInstance, options: ApiRouteOptions): Promise<void> {
  app.addHook('onRequest', async (request, reply) => authorize(request, reply, options.adminToken));

  app.get('/api/submissions', async (request, reply) => {
    const query = SubmissionQuery.safeParse(request.query);
    if (!query.success) {
      return reply.code(400).send({ error: 'INVALID_QUERY', message: z.prettifyError(query.error) });
    }
    const submissions = await options.listSubmissions(query.data);
    return {
      submissions: submissions.map((s) => ({
        id: s.id,
        course: s.course,
        assignment: s.assignment,
        student: s.student,
        commitSha: s.commitSha,
        status: s.status,
        receivedAt: s.receivedAt.toISOString(),
      })),
    };
  });
}

async function authorize(request: FastifyRequest, reply: FastifyReply, adminToken: string | null): Promise<unknown> {
  if (adminToken === null) {
    return reply.code(503).send({ error: 'API_DISABLED', message: 'the API is disabled: set GRADEFLOW_ADMIN_TOKEN to enable it' });
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  if (match === null) {
    reply.header('www-authenticate', 'Bearer');
    return reply.code(401).send({ error: 'UNAUTHENTICATED', message: 'send Authorization: Bearer <GRADEFLOW_ADMIN_TOKEN>' });
  }
  if (!tokensEqual(match[1] ?? '', adminToken)) {
    return reply.code(401).send({ error: 'INVALID_TOKEN', message: 'the bearer token is not valid' });
  }
  return undefined;
}
