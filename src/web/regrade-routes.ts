// POST /api/regrades: re-queue counting submissions at re-grade priority. The answer streams
// one JSON line per re-queued submission (for the CLI's progress bar) and a final summary.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Course } from '../courses/index.ts';
import { errorCode } from '../errors/index.ts';
import type { RegradeDeps } from '../pipeline/regrade.ts';
import { regrade } from '../pipeline/regrade.ts';
import { requireAdminToken } from './auth.ts';

export interface RegradeRouteOptions {
  readonly adminToken: string | null;
  readonly deps: RegradeDeps;
}

const RegradeBody = z.object({
  course: z.string().min(1).max(255),
  assignment: z.string().min(1).max(255),
  student: z.string().min(1).max(255).optional(),
});

export async function regradeRoutes(app: FastifyInstance, options: RegradeRouteOptions): Promise<void> {
  app.addHook('onRequest', requireAdminToken(options.adminToken));
  app.post('/api/regrades', async (request, reply) => {
    const body = RegradeBody.safeParse(request.body);
    if (!body.success) return reply.code(400).send({ error: 'INVALID_BODY', message: z.prettifyError(body.error) });
    const problem = checkTarget(options.deps.courses, body.data.course, body.data.assignment);
    if (problem !== null) return reply.code(404).send({ error: 'NOT_FOUND', message: problem });
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson' });
    try {
      const done = await regrade(options.deps, body.data, (progress) => reply.raw.write(`${JSON.stringify({ progress })}\n`));
      reply.raw.end(`${JSON.stringify({ done })}\n`);
    } catch (error) {
      request.log.error({ err: error }, 're-grade failed');
      reply.raw.end(`${JSON.stringify({ error: errorCode(error), message: error instanceof Error ? error.message : String(error) })}\n`);
    }
    return reply;
  });
}

function checkTarget(courses: ReadonlyMap<string, Course>, course: string, assignment: string): string | null {
  const found = courses.get(course);
  if (found === undefined) return `no course ${course}`;
  const target = found.assignments.find((a) => a.slug === assignment);
  if (target === undefined) return `course ${course} has no assignment ${assignment}`;
  if (target.check === null) return `${course}/${assignment} has no check to run again`;
  return null;
}
