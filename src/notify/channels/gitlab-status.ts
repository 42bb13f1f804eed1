// What a pipeline.status event shows on the commit: pure, so every state's wording is tested
// without GitLab. The grade itself (passed/failed) is told by the grade notification; these
// are the moments before it and the pushes that never get one.
import type { CommitState } from '../../gitlab/index.ts';
import type { PipelineStatus } from '../../events/index.ts';
import { STATUS_DESCRIPTION_LIMIT } from '../format.ts';
import { oneLine, truncate } from '../format-text.ts';

export interface StatusLine {
  readonly state: CommitState;
  readonly description: string;
}

export interface StatusPlan {
  /** null: the commit status is left as it is. */
  readonly status: StatusLine | null;
  /** A Markdown comment on the commit, or null for none. */
  readonly comment: string | null;
  /**
   * queued and running are superseded within minutes by the next status or the grade, so
   * failing to show them is worth a warning, not a retry that holds up the consumer.
   */
  readonly bestEffort: boolean;
}

const NOTHING: StatusPlan = { status: null, comment: null, bestEffort: true };

/** Used when an event carries no reason text (older producers): still say why. */
const DEFAULT_REASONS: Readonly<Record<string, string>> = {
  'wrong-branch': 'Pushes to this branch are not submissions.',
  'duplicate-commit': 'This commit was already checked: push a new commit to be checked again.',
  superseded: 'A newer push replaced this one before it was checked; the newer one is checked instead.',
  'after-deadline': 'The deadline has passed and late submissions are not accepted.',
  'after-cutoff': 'The late-submission cutoff has passed: this push is not graded.',
  'not-open': 'The assignment is not open yet.',
  'not-checked': 'This assignment has no automatic check: pushes are recorded but not checked.',
  'attempt-limit-total': 'Attempt limit reached.',
  'attempt-limit-hour': 'Attempt limit reached for this hour.',
};

/** "Queued: 3 checks ahead". */
export function queuedDescription(ahead: number): string {
  if (ahead <= 0) return 'Queued: next to be checked';
  return `Queued: ${ahead} ${ahead === 1 ? 'check' : 'checks'} ahead`;
}

export function planPipelineStatus(status: Pick<PipelineStatus, 'state' | 'code' | 'reason' | 'commitSha'>, queueAhead: number | null): StatusPlan {
  switch (status.state) {
    case 'queued':
      return { status: { state: 'pending', description: queuedDescription(queueAhead ?? 0) }, comment: null, bestEffort: true };
    case 'running':
      return { status: { state: 'running', description: 'Checking…' }, comment: null, bestEffort: true };
    case 'skipped':
      return skipped(status);
    case 'error': {
      // canceled, as format-verdict.ts shows our own failures: red would blame the student.
      const detail = status.reason === null || oneLine(status.reason) === '' ? 'the check could not run' : oneLine(status.reason);
      const room = STATUS_DESCRIPTION_LIMIT - 'System error: , not counted'.length;
      return { status: { state: 'canceled', description: `System error: ${truncate(detail, room)}, not counted` }, comment: null, bestEffort: false };
    }
    case 'canceled':
      return { status: { state: 'canceled', description: line(status.reason ?? 'Check canceled') }, comment: null, bestEffort: false };
    default:
      // passed/failed: the grade notification sets the final status with the score.
      return NOTHING;
  }
}

function skipped(status: Pick<PipelineStatus, 'code' | 'reason' | 'commitSha'>): StatusPlan {
  const reason = reasonText(status);
  const comment = `### ⏭️ Not checked\n\nCommit \`${status.commitSha.slice(0, 8)}\`: ${reason}\n`;
  // A duplicate commit already shows its result; a skipped status would overwrite it.
  if (status.code === 'duplicate-commit') return { status: null, comment, bestEffort: false };
  return { status: { state: 'skipped', description: line(reason) }, comment, bestEffort: false };
}

/** The student-facing reason, one line. It is the orchestrator's own text, not student input. */
function reasonText(status: Pick<PipelineStatus, 'code' | 'reason'>): string {
  const given = status.reason === null ? '' : truncate(oneLine(status.reason), 2000);
  if (given !== '') return given;
  return DEFAULT_REASONS[status.code ?? ''] ?? 'This push is not checked.';
}

function line(text: string): string {
  return truncate(oneLine(text), STATUS_DESCRIPTION_LIMIT);
}
