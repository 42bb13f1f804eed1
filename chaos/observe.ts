// What the run sees of the system from outside, as a student and an operator would: the
// commit statuses and comments at the GitLab double (when each push was told its result, and
// whether anything was told twice), the grades in PostgreSQL, and the backlog over time
// (accepted pushes not yet answered on their commit), from which recovery times are read.
import pg from 'pg';
import type { GitLabDouble } from '../test/support/gitlab-double.ts';
import type { Push } from './load.ts';

const FINAL = new Set(['success', 'failed', 'canceled', 'skipped']);

interface Seen {
  count: number;
  first: number;
}

export interface Sample {
  readonly at: number;
  readonly backlog: number;
}

export class Observer {
  readonly pushes: Push[] = [];
  readonly samples: Sample[] = [];
  readonly #gitlab: GitLabDouble;
  readonly #finals = new Map<string, Seen>();
  readonly #comments = new Map<string, Seen>();
  #statusIndex = 0;
  #noteIndex = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(gitlab: GitLabDouble) {
    this.#gitlab = gitlab;
  }

  start(intervalMs = 200): void {
    this.#timer = setInterval(() => {
      this.scan();
      this.samples.push({ at: Date.now(), backlog: this.backlog() });
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Reads what the double recorded since the last scan (its arrays only grow). */
  scan(): void {
    const now = Date.now();
    const { statuses, notes } = this.#gitlab;
    for (; this.#statusIndex < statuses.length; this.#statusIndex += 1) {
      const status = statuses[this.#statusIndex];
      if (status !== undefined && FINAL.has(status.state)) bump(this.#finals, status.sha, now);
    }
    for (; this.#noteIndex < notes.length; this.#noteIndex += 1) {
      const note = notes[this.#noteIndex];
      if (note !== undefined && note.kind === 'commit') bump(this.#comments, note.target, now);
    }
  }

  /** When the commit got both its final status and its comment, or null. */
  notifiedAt(sha: string): number | null {
    const final = this.#finals.get(sha);
    const comment = this.#comments.get(sha);
    return final === undefined || comment === undefined ? null : Math.max(final.first, comment.first);
  }

  finalStatuses(sha: string): number {
    return this.#finals.get(sha)?.count ?? 0;
  }

  comments(sha: string): number {
    return this.#comments.get(sha)?.count ?? 0;
  }

  /** Accepted pushes not yet told their result. */
  backlog(scenario?: string): number {
    let count = 0;
    for (const push of this.pushes) {
      if (push.accepted && (scenario === undefined || push.scenario === scenario) && this.notifiedAt(push.sha) === null) count += 1;
    }
    return count;
  }

  /** Notified pushes of a scenario, as a share of `of`. */
  progress(scenario: string, of: number): number {
    let count = 0;
    for (const push of this.pushes) if (push.scenario === scenario && this.notifiedAt(push.sha) !== null) count += 1;
    return count / of;
  }

  backlogAt(at: number): number {
    let value = 0;
    for (const sample of this.samples) {
      if (sample.at > at) break;
      value = sample.backlog;
    }
    return value;
  }
}

function bump(map: Map<string, Seen>, sha: string, now: number): void {
  const seen = map.get(sha);
  if (seen === undefined) map.set(sha, { count: 1, first: now });
  else seen.count += 1;
}

export interface GradeRow {
  readonly sha: string;
  readonly grades: number;
  readonly verdicts: string;
}

/** Read-only queries of the run's database; a connection killed by a fault is simply retried. */
export class Store {
  readonly #pool: pg.Pool;

  constructor(url: string) {
    this.#pool = new pg.Pool({ connectionString: url, max: 2, idleTimeoutMillis: 5_000 });
    this.#pool.on('error', () => {
      // an idle connection terminated by the pg-terminate scenario: the pool replaces it
    });
  }

  async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        return (await this.#pool.query<R>(sql, params)).rows;
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
      }
    }
    throw lastError;
  }

  /** Submissions of one assignment with how many grades each has, by commit. */
  async grades(course: string, assignment: string): Promise<Map<string, GradeRow>> {
    const rows = await this.query<{ sha: string; grades: number; verdicts: string | null }>(
      `SELECT s.commit_sha AS sha, count(g.id)::int AS grades, string_agg(g.verdict, ',') AS verdicts
         FROM submissions s LEFT JOIN grades g ON g.submission_id = s.id
        WHERE s.course = $1 AND s.assignment = $2 GROUP BY s.commit_sha`, [course, assignment]);
    return new Map(rows.map((row) => [row.sha, { sha: row.sha, grades: row.grades, verdicts: row.verdicts ?? '' }]));
  }

  /** Median and 95th percentile, in seconds, of each step of a submission's life. */
  async stages(course: string, assignment: string): Promise<string> {
    const steps: Array<[string, string, string]> = [
      ['recorded', 'received_at', 'created_at'], ['waited', 'queued_at', 'started_at'], ['ran', 'started_at', 'finished_at'],
      ['graded', 'finished_at', 'graded_at'], ['told', 'graded_at', 'notified_at'], ['total', 'received_at', 'notified_at'],
    ];
    const columns = steps.flatMap(([name, from, to]) => [0.5, 0.95].map((q) =>
      `percentile_cont(${q}) WITHIN GROUP (ORDER BY extract(epoch FROM ${to} - ${from})) AS "${name}_${q}"`));
    const rows = await this.query<Record<string, number | null>>(`SELECT ${columns.join(', ')} FROM submissions WHERE course = $1 AND assignment = $2`, [course, assignment]);
    const row = rows[0] ?? {};
    const s = (value: number | null | undefined) => (value === null || value === undefined ? '-' : value.toFixed(1));
    return steps.map(([name]) => `${name} ${s(row[`${name}_0.5`])}/${s(row[`${name}_0.95`])}`).join(', ');
  }

  /** Where a push got stuck: its submission, checks and notification rows, in one line. */
  async whereIs(sha: string): Promise<string> {
    const rows = await this.query<Record<string, unknown>>(
      `SELECT s.status, s.reason, s.queued_at, s.started_at, s.finished_at, s.graded_at, s.notified_at,
              (SELECT string_agg(c.status || coalesce(':' || c.verdict, ''), ',') FROM checks c WHERE c.submission_id = s.id) AS checks,
              (SELECT count(*)::int FROM grades g WHERE g.submission_id = s.id) AS grades,
              (SELECT string_agg(n.key || '/' || n.channel || '=' || coalesce(n.detail, ''), ' ') FROM notifications n
                WHERE n.key LIKE 'status:' || s.id || ':%' OR n.key IN (SELECT 'grade:' || g.id FROM grades g WHERE g.submission_id = s.id)) AS notifications
         FROM submissions s WHERE s.commit_sha = $1`, [sha]);
    const row = rows[0];
    if (row === undefined) return 'no submission';
    const at = (value: unknown) => (value instanceof Date ? value.toISOString().slice(11, 23) : '-');
    return `submission ${String(row.status)}${row.reason === null ? '' : ` (${String(row.reason)})`}; queued ${at(row.queued_at)} started ${at(row.started_at)} `
      + `finished ${at(row.finished_at)} graded ${at(row.graded_at)} notified ${at(row.notified_at)}; checks ${String(row.checks ?? '-')}; `
      + `grades ${String(row.grades)}; notifications ${String(row.notifications ?? '-')}`;
  }

  /** Notification claims never completed: a sender died between claiming and recording. */
  async stuckClaims(): Promise<number> {
    const rows = await this.query<{ n: number }>("SELECT count(*)::int AS n FROM notifications WHERE detail = 'claimed'");
    return rows[0]?.n ?? 0;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
