// POST /api/reconcile {course, assignment?}: look for branch heads whose push webhook never came
// and emit them (see src/pipeline/reconciler.ts). A course can have hundreds of projects and
// GitLab may slow us down with 429s, so the answer streams one JSON line per project looked at
// and a final `{ report }` line (or `{ error, message }`) instead of keeping the client waiting
// for minutes on headers.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Course } from '../courses/index.ts';
import { errorCode } from '../errors/index.ts';
import type { ProjectOutcome, ReconcileReport, ReconcileTarget } from '../pipeline/reconciler.ts';
import { requireAdminToken } from './auth.ts';

export type ReconcileFn = (target: ReconcileTarget, onOutcome: (outcome: ProjectOutcome) => void) => Promise<ReconcileReport>;

export interface ReconcileRouteOptions {
  readonly adminToken: string | null;
  readonly courses: ReadonlyMap<string, Course>;
  /** null when GITLAB_URL and GITLAB_TOKEN are not configured: there is nothing to ask. */
  readonly reconcile: ReconcileFn | null;
}

const ReconcileBody = z.object({
  course: z.string().min(1).max(255),
  assignment: z.string().min(1).max(255).optional(),
});

export async function reconcileRoutes(app: FastifyInstance, options: ReconcileRouteOptions): Promise<void> {
  app.addHook('onRequest', requireAdminToken(options.adminToken));
  app.post('/api/reconcile', async (request, reply) => {
    const body = ReconcileBody.safeParse(request.body);
    if (!body.success) return reply.code(400).send({ error: 'INVALID_BODY', message: z.prettifyError(body.error) });
    const problem = checkTarget(options.courses, body.data);
    if (problem !== null) return reply.code(404).send({ error: 'NOT_FOUND', message: problem });
    const reconcile = options.reconcile;
    if (reconcile === null) {
      return reply.code(503).send({ error: 'GITLAB_NOT_CONFIGURED', message: 'reconciling asks the GitLab API: set GITLAB_URL and GITLAB_TOKEN' });
    }
    // Checked before the first byte: once streaming starts the status is 200 whatever happens.
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson' });
    try {
      const report = await reconcile(body.data, (outcome) => reply.raw.write(`${JSON.stringify({ outcome })}\n`));
      reply.raw.end(`${JSON.stringify({ report })}\n`);
    } catch (error) {
      request.log.error({ err: error }, 'reconcile failed');
      reply.raw.end(`${JSON.stringify({ error: errorCode(error), message: error instanceof Error ? error.message : String(error) })}\n`);
    }
    return reply;
  });
}

function checkTarget(courses: ReadonlyMap<string, Course>, target: ReconcileTarget): string | null {
  const course = courses.get(target.course);
  if (course === undefined) return `no course ${target.course}`;
  if (target.assignment !== undefined && !course.assignments.some((a) => a.slug === target.assignment)) {
    return `course ${target.course} has no assignment ${target.assignment}`;
  }
  return null;
}
