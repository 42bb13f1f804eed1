// Per scenario: what was sent, accepted, recorded, graded and told, what was lost or told
// twice, and how long the pipeline took to recover from each fault:
//   resumed   fault -> the first push sent after the fault is told its result (the whole
//             pipeline moves again, end to end);
//   caught up fault -> the backlog (accepted pushes not yet told) is back to its level of the
//             10 s before the fault (at least 2): lag back to normal.
import type { Push } from './load.ts';
import type { Observer } from './observe.ts';
import type { Fault } from './scenarios.ts';

export interface FaultResult {
  readonly label: string;
  /** Seconds since the scenario began. */
  readonly atS: number;
  readonly restoredMs: number | null;
  readonly resumedMs: number | null;
  readonly caughtUpMs: number | null;
}

export interface Row {
  readonly scenario: string;
  readonly pushes: number;
  readonly accepted: number;
  /** Deliveries answered other than 202, or not at all: GitLab does not send them again. */
  readonly rejected: number;
  readonly redelivered: number;
  readonly submissions: number;
  readonly grades: number;
  /** Grades whose verdict is not `graded` (system errors and the like). */
  readonly errorGrades: number;
  readonly notified: number;
  /** Accepted pushes without a grade or without their final status and comment. */
  readonly lost: number;
  /** Grades, final statuses and comments beyond the first, per submission. */
  readonly duplicates: number;
  readonly deadLetters: number | null;
  readonly maxAnswerMs: number;
  /** Deliveries answered after GitLab's default webhook timeout (10 s). */
  readonly slowAnswers: number;
  readonly durationMs: number;
  readonly faults: FaultResult[];
  readonly problems: string[];
}

export function recovery(fault: Fault, pushes: readonly Push[], observer: Observer): { resumedMs: number | null; caughtUpMs: number | null } {
  let resumed: number | null = null;
  for (const push of pushes) {
    if (!push.accepted || push.sentAt < fault.at) continue;
    const notified = observer.notifiedAt(push.sha);
    if (notified !== null && (resumed === null || notified < resumed)) resumed = notified;
  }
  if (resumed === null) return { resumedMs: null, caughtUpMs: null };
  let baseline = 2;
  for (const sample of observer.samples) {
    if (sample.at >= fault.at - 10_000 && sample.at <= fault.at) baseline = Math.max(baseline, sample.backlog);
  }
  const caughtUp = observer.samples.find((sample) => sample.at >= resumed && sample.backlog <= baseline);
  return { resumedMs: resumed - fault.at, caughtUpMs: caughtUp === undefined ? null : caughtUp.at - fault.at };
}

export function passed(row: Row): boolean {
  return row.lost === 0 && row.duplicates === 0 && row.rejected === 0 && row.problems.length === 0;
}

const seconds = (ms: number | null) => (ms === null ? '-' : (ms / 1000).toFixed(1));
const worst = (values: Array<number | null>) => (values.length === 0 ? '' : values.includes(null) ? '-' : seconds(Math.max(...(values as number[]))));

export function formatTable(rows: readonly Row[]): string {
  const header = ['scenario', 'pushes', 'accepted', 'rejected', 'redeliv', 'submissions', 'grades', 'err-grades', 'notified', 'lost', 'duplicates', 'dlq', 'max answer s', 'answers >10 s', 'faults', 'resumed s (max)', 'caught up s (max)', 'time s', 'result'];
  const body = rows.map((row) => [
    row.scenario, row.pushes, row.accepted, row.rejected, row.redelivered, row.submissions, row.grades, row.errorGrades, row.notified,
    row.lost, row.duplicates, row.deadLetters ?? '?', seconds(row.maxAnswerMs), row.slowAnswers, row.faults.length,
    worst(row.faults.map((f) => f.resumedMs)), worst(row.faults.map((f) => f.caughtUpMs)), seconds(row.durationMs), passed(row) ? 'PASS' : 'FAIL',
  ].map(String));
  const widths = header.map((title, i) => Math.max(title.length, ...body.map((cells) => (cells[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

export function formatFaults(rows: readonly Row[]): string {
  const lines: string[] = [];
  for (const row of rows) {
    for (const fault of row.faults) {
      lines.push(`  ${row.scenario.padEnd(13)} +${fault.atS.toFixed(1).padStart(5)} s  ${fault.label.padEnd(52)} restored ${seconds(fault.restoredMs).padStart(5)} s  resumed ${seconds(fault.resumedMs).padStart(5)} s  caught up ${seconds(fault.caughtUpMs).padStart(5)} s`);
    }
    for (const problem of row.problems) lines.push(`  ${row.scenario.padEnd(13)} PROBLEM: ${problem}`);
  }
  return lines.join('\n');
}
