// The staff API: submissions. Authentication (GRADEFLOW_ADMIN_TOKEN) is shared with the other
// API plugins, see auth.ts.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireAdminToken } from './auth.ts';

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
  app.addHook('onRequest', requireAdminToken(options.adminToken));

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
