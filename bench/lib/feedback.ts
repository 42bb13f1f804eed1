// What the students see, as the GitLab double receives it: commit statuses and comments, each
// stamped with the time it arrived. The double keeps them in arrays; the bench wraps their
// push() to stamp the time, without changing the double.
import type { DoubleNote, DoubleStatus, GitLabDouble } from '../../test/support/gitlab-double.ts';

const FINAL = new Set(['success', 'failed', 'canceled']);

export class FeedbackTracker {
  /** sha -> arrival times of final (graded) commit statuses. */
  readonly finals = new Map<string, number[]>();
  /** sha -> arrival times of `skipped` statuses (a push not checked: should not happen here). */
  readonly skipped = new Map<string, number[]>();
  /** sha -> number of comments. */
  readonly comments = new Map<string, number>();
  lastArrival = 0;

  constructor(gitlab: GitLabDouble) {
    const statuses = gitlab.statuses as DoubleStatus[];
    const pushStatus = statuses.push.bind(statuses);
    statuses.push = (...items: DoubleStatus[]) => {
      const now = Date.now();
      for (const status of items) {
        const into = FINAL.has(status.state) ? this.finals : status.state === 'skipped' ? this.skipped : null;
        if (into === null) continue;
        into.set(status.sha, [...(into.get(status.sha) ?? []), now]);
        this.lastArrival = now;
      }
      return pushStatus(...items);
    };
    const notes = gitlab.notes as DoubleNote[];
    const pushNote = notes.push.bind(notes);
    notes.push = (...items: DoubleNote[]) => {
      for (const note of items) {
        if (note.kind === 'commit') this.comments.set(note.target, (this.comments.get(note.target) ?? 0) + 1);
      }
      this.lastArrival = Date.now();
      return pushNote(...items);
    };
  }

  /** Graded and commented, i.e. the student has been told. */
  told(sha: string): boolean {
    return (this.finals.get(sha)?.length ?? 0) > 0 && (this.comments.get(sha) ?? 0) > 0;
  }
}
