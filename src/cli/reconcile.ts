// `gradeflow reconcile --course C [--assignment A]`: asks the running system (its staff API) to
// emit the branch heads whose push webhook never came, and prints what it found. Going through
// the API, as `gradeflow regrade` does, keeps one code path for every deployment, including
// `npm start` whose embedded database belongs to one process.
import type { Config } from '../config/index.ts';
import { AppError } from '../errors/index.ts';
import type { ProjectOutcome, ReconcileReport } from '../pipeline/reconciler.ts';

export interface ReconcileArgs {
  readonly course?: string | undefined;
  readonly assignment?: string | undefined;
}

type Line = { outcome: ProjectOutcome } | { report: ReconcileReport } | { error: string; message: string };

/**
 * Prints one line per head emitted or project that failed, then a summary. Rejects with
 * USAGE_INVALID or CONFIG_INVALID (fix the command), RECONCILE_REFUSED (the API said no),
 * API_UNREACHABLE, or RECONCILE_INCOMPLETE when some projects failed (running again is safe).
 */
export async function runReconcile(config: Config, args: ReconcileArgs, out: NodeJS.WritableStream = process.stdout): Promise<ReconcileReport> {
  if (args.course === undefined) throw new AppError('USAGE_INVALID', 'reconcile needs --course (and optionally --assignment)');
  if (config.admin.token === null) throw new AppError('CONFIG_INVALID', 'reconcile needs GRADEFLOW_ADMIN_TOKEN (the staff API token of the running system)');
  const apiUrl = config.apiUrl ?? `http://127.0.0.1:${config.http.port}`;
  const body = { course: args.course, ...(args.assignment === undefined ? {} : { assignment: args.assignment }) };
  const response = await fetch(`${apiUrl}/api/reconcile`, {
    method: 'POST',
    headers: { authorization: `Bearer ${config.admin.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).catch((error: unknown) => {
    throw new AppError('API_UNREACHABLE', `cannot reach Gradeflow at ${apiUrl} (is it running? set GRADEFLOW_API_URL): ${(error as Error).message}`);
  });
  if (!response.ok || response.body === null) {
    const refusal = (await response.json().catch(() => ({}))) as { message?: string };
    throw new AppError('RECONCILE_REFUSED', `reconcile refused (${response.status}): ${refusal.message ?? response.statusText}`);
  }
  for await (const line of lines(response.body)) {
    const message = JSON.parse(line) as Line;
    if ('outcome' in message) {
      const text = describeOutcome(message.outcome);
      if (text !== null) out.write(`${text}\n`);
    } else if ('report' in message) {
      out.write(`${summary(message.report)}\n`);
      if (message.report.failed > 0) {
        throw new AppError('RECONCILE_INCOMPLETE', `${message.report.failed} project(s) could not be reconciled (see above); running it again is safe`);
      }
      return message.report;
    } else {
      throw new AppError(message.error, message.message);
    }
  }
  throw new AppError('RECONCILE_INTERRUPTED', 'the server closed the connection before reconciling finished; run it again (it is safe)');
}

/** Up-to-date projects are the normal case: only the summary counts them. */
export function describeOutcome(outcome: ProjectOutcome): string | null {
  const who = `${outcome.assignment} ${outcome.student} (${outcome.path})`;
  switch (outcome.kind) {
    case 'emitted': {
      const when = outcome.pushTime === 'gitlab-event' ? 'GitLab push event' : 'no push event found: counted as pushed now';
      return `emitted   ${who} ${outcome.sha.slice(0, 8)} pushed at ${outcome.pushedAt} (${when})`;
    }
    case 'no-branch':
      return `no branch ${who}: ${outcome.branch} does not exist`;
    case 'gone':
      return `gone      ${who}: GitLab no longer has project ${outcome.projectId}`;
    case 'failed':
      return `failed    ${who}: ${outcome.code}: ${outcome.message}`;
    case 'up-to-date':
      return null;
  }
}

function summary(report: ReconcileReport): string {
  return `${report.course} (${report.assignments.join(', ')}): ${report.projects} project(s), ${report.emitted} missed push(es) emitted, `
    + `${report.upToDate} up to date, ${report.skipped} skipped, ${report.failed} failed`;
}

async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) if (part.trim() !== '') yield part.trim();
  }
  if (buffered.trim() !== '') yield buffered.trim();
}
