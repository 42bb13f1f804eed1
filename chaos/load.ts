// The steady stream of pushes: one webhook every intervalMs, posted over real HTTP the way
// GitLab does (X-Gitlab-Token, Idempotency-Key), never waiting for the previous answer (GitLab
// does not wait either), each from a student and project of its own with a commit of its own.
// Every tenth push is delivered a second time with the same Idempotency-Key, as a "Resend
// request" in GitLab would: it must never become a second grade or notification.
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { pushPayload } from '../test/support/gitlab.ts';
import { COURSE, SECRET } from './fixtures.ts';
import type { Repo } from './fixtures.ts';

export interface Push {
  readonly scenario: string;
  readonly index: number;
  readonly sha: string;
  readonly sentAt: number;
  answeredAt: number | null;
  /** HTTP status, or 'timeout' / 'network'. */
  answer: string | null;
  accepted: boolean;
  /** What the second delivery (same Idempotency-Key) was answered, if one was sent. */
  redelivery: string | null;
}

export interface StreamOptions {
  readonly scenario: string;
  readonly gatewayUrl: string;
  readonly repo: Repo;
  /** Project ids of this scenario start here (one project per push). */
  readonly projectBase: number;
  readonly intervalMs: number;
  readonly minPushes: number;
  /**
   * Past minPushes the stream goes on while keepGoing() (faults still being injected), one push
   * every trickleMs, up to maxPushes: every fault has pushes sent after it, whose way through
   * the pipeline tells when it recovered, without piling up work on a slow machine.
   */
  readonly maxPushes: number;
  readonly keepGoing: () => boolean;
  readonly trickleMs: number;
  /** How long a delivery may take before it counts as failed (GitLab's own default is 10 s). */
  readonly timeoutMs: number;
  readonly redeliverEvery: number;
}

async function deliver(url: string, body: unknown, key: string, timeoutMs: number): Promise<string> {
  try {
    const response = await fetch(`${url}/webhooks/gitlab`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gitlab-token': SECRET, 'x-gitlab-event': 'Push Hook', 'idempotency-key': key },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    return String(response.status);
  } catch (error) {
    const name = (error as Error).name;
    return name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network';
  }
}

/** Sends the stream, appending to `pushes` as it goes (observers read it live). */
export async function streamPushes(options: StreamOptions, pushes: Push[]): Promise<void> {
  const inFlight: Array<Promise<void>> = [];
  let next = Date.now();
  for (let index = 0; index < options.maxPushes && (index < options.minPushes || options.keepGoing()); index += 1) {
    const student = `s${index}`;
    const projectId = options.projectBase + index;
    const push: Push = { scenario: options.scenario, index, sha: options.repo.take(), sentAt: Date.now(), answeredAt: null, answer: null, accepted: false, redelivery: null };
    pushes.push(push);
    const body = pushPayload({ path: `${COURSE}/${options.scenario}/${student}`, projectId, sha: push.sha, repoUrl: options.repo.url });
    const key = randomUUID();
    inFlight.push((async () => {
      push.answer = await deliver(options.gatewayUrl, body, key, options.timeoutMs);
      push.answeredAt = Date.now();
      push.accepted = push.answer === '202';
      if (options.redeliverEvery > 0 && index % options.redeliverEvery === options.redeliverEvery - 1) {
        await delay(1_000);
        push.redelivery = await deliver(options.gatewayUrl, body, key, options.timeoutMs);
      }
    })());
    // Paced against the clock, so slow answers never slow the stream down.
    next += index + 1 < options.minPushes ? options.intervalMs : Math.max(options.intervalMs, options.trickleMs);
    await delay(Math.max(0, next - Date.now()));
  }
  await Promise.all(inFlight);
}
