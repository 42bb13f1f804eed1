// Which pipeline statuses are final. `manual` and `scheduled` wait for a person or a clock and
// may never move on; callers polling a pipeline treat them separately, so they are not final.
const FINISHED = new Set(['success', 'failed', 'canceled', 'skipped']);

export function isPipelineFinished(status: string): boolean {
  return FINISHED.has(status);
}
