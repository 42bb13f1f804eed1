// The staff API of grading: one submission with its grade, tests and the six times of its
// life; its log and test report; the grade book of an assignment as JSON or CSV. Same bearer
// token as /api/submissions (auth.ts).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Course } from '../courses/index.ts';
import type { CountingGrade, Queryable, SubmissionDetail } from '../db/index.ts';
import { listCountingGrades, submissionDetail } from '../db/index.ts';
import { errorCode } from '../errors/index.ts';
import { toCsv } from '../grading/csv.ts';
import type { ArtifactStore } from '../storage/index.ts';
import { requireAdminToken } from './auth.ts';

export interface GradesRouteOptions {
  readonly adminToken: string | null;
  readonly db: Queryable;
  readonly courses: ReadonlyMap<string, Course>;
  readonly artifacts: ArtifactStore;
}

// Any UUID layout PostgreSQL accepts; z.uuid() would refuse ids that are not RFC 9562 variants.
const IdParams = z.object({ id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'expected a UUID') });
const ReportQuery = z.object({ part: z.coerce.number().int().min(1).max(100).default(1) });
const GradesQuery = z.object({
  course: z.string().min(1).max(255),
  assignment: z.string().min(1).max(255),
  format: z.enum(['json', 'csv']).default('json'),
});

type Reply = FastifyReply;

function invalid(reply: Reply, error: z.ZodError): Reply {
  return reply.code(400).send({ error: 'INVALID_REQUEST', message: z.prettifyError(error) });
}

export async function gradesRoutes(app: FastifyInstance, options: GradesRouteOptions): Promise<void> {
  app.addHook('onRequest', requireAdminToken(options.adminToken));
  submissionRoutes(app, options);
  gradeBookRoute(app, options);
}

function submissionRoutes(app: FastifyInstance, options: GradesRouteOptions): void {
  app.get('/api/submissions/:id', async (request, reply) => {
    const params = IdParams.safeParse(request.params);
    if (!params.success) return invalid(reply, params.error);
    const detail = await submissionDetail(options.db, params.data.id);
    if (detail === null) return notFound(reply, params.data.id);
    return submissionView(detail);
  });

  app.get('/api/submissions/:id/log', async (request, reply) => {
    const params = IdParams.safeParse(request.params);
    if (!params.success) return invalid(reply, params.error);
    const detail = await submissionDetail(options.db, params.data.id);
    if (detail === null) return notFound(reply, params.data.id);
    return sendArtifact(reply, options.artifacts, detail.check?.logUri ?? null, 'text/plain; charset=utf-8', `${detail.id}-log.txt`);
  });

  app.get('/api/submissions/:id/report', async (request, reply) => {
    const params = IdParams.safeParse(request.params);
    if (!params.success) return invalid(reply, params.error);
    const query = ReportQuery.safeParse(request.query);
    if (!query.success) return invalid(reply, query.error);
    const detail = await submissionDetail(options.db, params.data.id);
    if (detail === null) return notFound(reply, params.data.id);
    const uri = detail.check?.reportUris[query.data.part - 1] ?? null;
    return sendArtifact(reply, options.artifacts, uri, 'application/xml', `${detail.id}-report-${query.data.part}.xml`);
  });
}

function gradeBookRoute(app: FastifyInstance, options: GradesRouteOptions): void {
  app.get('/api/grades', async (request, reply) => {
    const query = GradesQuery.safeParse(request.query);
    if (!query.success) return invalid(reply, query.error);
    const { course: slug, assignment: assignmentSlug, format } = query.data;
    const course = options.courses.get(slug);
    if (course === undefined) return reply.code(404).send({ error: 'COURSE_NOT_FOUND', message: `no course ${slug}` });
    const assignment = course.assignments.find((a) => a.slug === assignmentSlug);
    if (assignment === undefined) {
      return reply.code(404).send({ error: 'ASSIGNMENT_NOT_FOUND', message: `course ${slug} has no assignment ${assignmentSlug}` });
    }
    const grades = await listCountingGrades(options.db, slug, assignment);
    if (format === 'json') return { grades: grades.map(gradeView) };
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${safeFileName(`${slug}-${assignmentSlug}-grades.csv`)}"`)
      .send(gradesCsv(grades));
  });
}

function notFound(reply: Reply, id: string): Reply {
  return reply.code(404).send({ error: 'SUBMISSION_NOT_FOUND', message: `no submission ${id}` });
}

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

export function submissionView(d: SubmissionDetail) {
  const base = `/api/submissions/${d.id}`;
  const grade = d.grade;
  return {
    id: d.id, course: d.course, assignment: d.assignment, student: d.student, commitSha: d.commitSha, status: d.status,
    reason: d.reason,
    score: grade?.score ?? null,
    maxScore: grade?.maxScore ?? null,
    verdict: grade?.verdict ?? d.check?.verdict ?? null,
    // What the student was told: the grade's message, else the check's, else why it was not checked.
    message: grade?.message ?? d.check?.message ?? d.reasonMessage,
    latePenaltyPercent: grade?.latePenaltyPercent ?? null,
    tests: (grade?.tests ?? []).map((t) => ({ name: t.name, status: t.status, points: t.points, maxPoints: t.maxPoints, message: t.message })),
    times: Object.fromEntries(Object.entries(d.times).map(([name, at]) => [name, iso(at)])),
    links: {
      log: d.check?.logUri ? `${base}/log` : null,
      report: d.check !== null && d.check.reportUris.length > 0 ? `${base}/report` : null,
    },
  };
}

function gradeView(g: CountingGrade) {
  return {
    student: g.student, submissionId: g.submissionId, commitSha: g.commitSha, score: g.score, maxScore: g.maxScore,
    verdict: g.verdict, late: g.late, latePenaltyPercent: g.latePenaltyPercent, submittedAt: g.submittedAt.toISOString(),
  };
}

const CSV_HEADER = ['student', 'submissionId', 'commitSha', 'score', 'maxScore', 'verdict', 'late', 'latePenaltyPercent', 'submittedAt'] as const;

export function gradesCsv(grades: readonly CountingGrade[]): string {
  return toCsv(CSV_HEADER, grades.map((g) => {
    const v = gradeView(g);
    return CSV_HEADER.map((column) => v[column]);
  }));
}

function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * Logs and reports are student output: served with a sandboxing CSP and nosniff so a crafted
 * XML or text file can never run script in the API's origin.
 */
async function sendArtifact(reply: Reply, artifacts: ArtifactStore, uri: string | null, type: string, fileName: string): Promise<Reply> {
  if (uri === null) return reply.code(404).send({ error: 'ARTIFACT_NOT_FOUND', message: 'this submission has no such artifact' });
  let data: Buffer;
  try {
    data = await artifacts.get(uri);
  } catch (error) {
    if (errorCode(error) !== 'ARTIFACT_NOT_FOUND') throw error;
    return reply.code(404).send({ error: 'ARTIFACT_NOT_FOUND', message: 'the artifact is no longer stored' });
  }
  return reply
    .type(type)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('content-disposition', `inline; filename="${safeFileName(fileName)}"`)
    .send(data);
}
