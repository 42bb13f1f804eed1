// result-processors (topic pipeline.results): each test.result becomes one grade, stored with
// its per-test results, the check and submission marked, then grading.completed is emitted.
// Idempotent: the grade's id derives from (submission, suite version, policy version), so a
// redelivered result finds its grade and re-emits the very same event (same id, same payload).
import type { Assignment } from '../courses/index.ts';
import type { Check, Database, Grade, GradeTest, GradingSubmission } from '../db/index.ts';
import { finishGrading, insertGrade, loadGradingTarget } from '../db/index.ts';
import { AppError } from '../errors/index.ts';
import type { AnyEnvelope, TestResult } from '../events/index.ts';
import { EVENTS, stableId, submissionKey, unexpectedEvent } from '../events/index.ts';
import type { MessageContext, MessageHandler } from '../kafka/index.ts';
import type { GroupContext } from '../pipeline/groups.ts';
import { round2 } from './policy/index.ts';
import { gradeOutcome } from './outcome.ts';
import type { GradeOutcome } from './outcome.ts';
import { readReport } from './report-source.ts';
import { SuiteCache, policyVersion, suiteVersion } from './versions.ts';

export type ResultProcessorContext = Pick<GroupContext, 'db' | 'publisher' | 'courses' | 'gitlab' | 'artifacts' | 'log' | 'metrics'>;

export interface ResultProcessorOptions {
  readonly suiteCache?: SuiteCache;
  /** The grading instant (graded_at); injectable so tests can order re-grades. */
  readonly now?: () => Date;
}

interface Target {
  readonly result: TestResult;
  readonly assignment: Assignment;
  readonly submission: GradingSubmission;
  readonly check: Check;
}

const permanent = (code: string, message: string): AppError => new AppError(code, message, { retryable: false });

export function resultProcessorHandler(context: ResultProcessorContext, options: ResultProcessorOptions = {}): MessageHandler {
  const cache = options.suiteCache ?? new SuiteCache();
  const now = options.now ?? (() => new Date());
  return async (event: AnyEnvelope, message: MessageContext): Promise<void> => {
    if (event.type !== 'test.result') throw unexpectedEvent(event, message.topic, 'test.result');
    const result = event.payload;
    const assignment = findAssignment(context, result);
    const suite = await suiteVersion(assignment.check, cache);
    const policy = policyVersion(assignment);
    const { target, existing } = await resolveTarget(context, result, assignment, gradeId(result.submissionId, suite, policy));
    // A redelivery finds its grade (read with the target) and skips fetching the report again
    // (GitLab, 20 MiB XML).
    const graded = existing === null ? await newGrade(context, target, { suite, policy, gradedAt: now() }, message) : { grade: existing, tests: [] };
    const saved = await save(context.db, target, graded.grade, graded.tests);
    message.log.info({ gradeId: saved.grade.id, submissionId: target.submission.id, verdict: saved.grade.verdict, score: saved.grade.score, inserted: saved.inserted }, 'graded');
    await publish(context, saved.grade, target.submission, saved.notify);
  };
}

function gradeId(submissionId: string, suite: string, policy: string): string {
  return stableId('grade', submissionId, suite, policy);
}

function findAssignment(context: ResultProcessorContext, result: TestResult): Assignment {
  const course = context.courses.get(result.course);
  if (course === undefined) throw permanent('COURSE_UNKNOWN', `test result for unknown course ${result.course}`);
  const assignment = course.assignments.find((a) => a.slug === result.assignment);
  if (assignment === undefined) throw permanent('ASSIGNMENT_UNKNOWN', `test result for unknown assignment ${result.course}/${result.assignment}`);
  return assignment;
}

/** The result's submission and check, and the grade already stored under `gradeId`, in one query. */
async function resolveTarget(context: ResultProcessorContext, result: TestResult, assignment: Assignment, gradeId: string): Promise<{ target: Target; existing: Grade | null }> {
  const found = await loadGradingTarget(context.db, { submissionId: result.submissionId, checkId: result.checkId, gradeId });
  if (found === null) throw permanent('SUBMISSION_NOT_FOUND', `test result for unknown submission ${result.submissionId}`);
  const { submission, check, existing } = found;
  if (submission.course !== result.course || submission.assignment !== result.assignment || submission.student !== result.student) {
    throw permanent('RESULT_MISMATCH', `test result names ${submissionKey(result.course, result.assignment, result.student)} but submission ${submission.id} is ${submissionKey(submission.course, submission.assignment, submission.student)}`);
  }
  if (check === null || check.submissionId !== submission.id) {
    throw permanent('CHECK_NOT_FOUND', `test result for check ${result.checkId}, which is not a check of submission ${submission.id}`);
  }
  return { target: { result, assignment, submission, check }, existing };
}

async function newGrade(context: ResultProcessorContext, target: Target, versions: { suite: string; policy: string; gradedAt: Date }, message: MessageContext): Promise<{ grade: Grade; tests: GradeTest[] }> {
  const { result, assignment, submission } = target;
  const reading = await readReport(context, result.source, (error) => {
    message.log.warn({ err: error, checkId: result.checkId }, 'test report unreadable; graded as a system error');
  });
  const outcome = gradeOutcome({ verdict: result.verdict, message: result.message, reading, assignment, submittedAt: submission.receivedAt });
  // A system error grades the failed run, not the suite: tied to the check, so the retry check
  // (same suite, same policy) gets a grade of its own instead of finding this one.
  const suite = outcome.verdict === 'system-error' ? `${versions.suite}/system-error/${result.checkId}` : versions.suite;
  return { grade: toGrade(target, outcome, { ...versions, suite }), tests: [...outcome.tests] };
}

function toGrade(target: Target, outcome: GradeOutcome, versions: { suite: string; policy: string; gradedAt: Date }): Grade {
  const { submission } = target;
  return {
    id: gradeId(submission.id, versions.suite, versions.policy),
    submissionId: submission.id,
    checkId: target.check.id,
    suiteVersion: versions.suite,
    policyVersion: versions.policy,
    course: submission.course,
    assignment: submission.assignment,
    student: submission.student,
    score: outcome.score,
    maxScore: outcome.maxScore,
    rawScore: outcome.rawScore,
    latePenaltyPercent: outcome.latePenaltyPercent,
    passed: outcome.passed,
    total: outcome.total,
    verdict: outcome.verdict,
    message: outcome.message,
    gradedAt: versions.gradedAt,
  };
}

interface Saved {
  readonly grade: Grade;
  readonly inserted: boolean;
  readonly notify: boolean;
}

/** Grade, tests, check and submission in one transaction: all of it or none. */
async function save(db: Database, target: Target, grade: Grade, tests: readonly GradeTest[]): Promise<Saved> {
  const { result } = target;
  return db.transaction(async (tx) => {
    const stored = await insertGrade(tx, grade, tests);
    // A system error leaves the submission in `error`: admission does not count it as an attempt.
    const status = stored.inserted ? (stored.grade.verdict === 'system-error' ? 'error' : 'graded') : null;
    const previous = await finishGrading(tx, stored.grade, {
      checkId: target.check.id, finishedAt: new Date(result.finishedAt), verdict: stored.grade.verdict, message: stored.grade.message,
      logUri: result.logUri, ...(result.source.kind === 'junit' ? { reportUris: result.source.reportUris } : {}), status,
    });
    return { ...stored, notify: shouldNotify(stored.grade, previous) };
  });
}

/**
 * A re-grade that changes nothing the student sees (same score to the cent, same verdict) is
 * not announced again. The verdict matters too: a 0 after a 0-point system error is news.
 */
function shouldNotify(grade: Grade, previous: { score: number; verdict: string } | null): boolean {
  return previous === null || round2(previous.score) !== round2(grade.score) || previous.verdict !== grade.verdict;
}

async function publish(context: ResultProcessorContext, grade: Grade, submission: GradingSubmission, notify: boolean): Promise<void> {
  await context.publisher.publish(EVENTS.gradingCompleted, {
    id: stableId('grading.completed', grade.id),
    key: submissionKey(grade.course, grade.assignment, grade.student),
    // The grading instant, not the publishing one: a re-emitted event is byte-for-byte the same.
    occurredAt: grade.gradedAt,
    payload: {
      gradeId: grade.id,
      submissionId: grade.submissionId,
      course: grade.course,
      assignment: grade.assignment,
      student: grade.student,
      commitSha: submission.commitSha,
      score: grade.score,
      maxScore: grade.maxScore,
      passed: grade.passed,
      total: grade.total,
      verdict: grade.verdict,
      notify,
    },
  });
}
