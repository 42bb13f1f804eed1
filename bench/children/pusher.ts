// Exam section: the students. Posts each push webhook (push.json re-pointed at the student's
// project and commit) at its scheduled time, as GitLab would, from a process of its own, and
// reports when each was accepted.
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { pushPayload } from '../../test/support/gitlab.ts';
import { helperMain } from '../lib/processes.ts';

export interface ScheduledPush {
  /** Milliseconds after the start. */
  readonly at: number;
  readonly path: string;
  readonly projectId: number;
  readonly sha: string;
  readonly repoUrl?: string;
}

export interface PusherInput {
  readonly url: string;
  readonly secret: string;
  /** Wall-clock time (Date.now()) of the start. */
  readonly startAt: number;
  readonly pushes: readonly ScheduledPush[];
}

export interface PushOutcome {
  readonly sha: string;
  readonly projectId: number;
  readonly sentAt: number;
  /** Date.now() when the gateway answered. */
  readonly answeredAt: number;
  readonly status: number;
}

async function post(input: PusherInput, push: ScheduledPush): Promise<PushOutcome> {
  const body = JSON.stringify(pushPayload({ path: push.path, projectId: push.projectId, sha: push.sha, ...(push.repoUrl === undefined ? {} : { repoUrl: push.repoUrl }) }));
  const sentAt = Date.now();
  let status = 0;
  try {
    const response = await fetch(`${input.url}/webhooks/gitlab`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': input.secret, 'idempotency-key': randomUUID() },
      body,
    });
    status = response.status;
    await response.arrayBuffer();
  } catch {
    status = -1;
  }
  return { sha: push.sha, projectId: push.projectId, sentAt, answeredAt: Date.now(), status };
}

async function run(input: PusherInput): Promise<PushOutcome[]> {
  const pushes = [...input.pushes].sort((a, b) => a.at - b.at);
  const sent: Promise<PushOutcome>[] = [];
  for (const push of pushes) {
    const wait = input.startAt + push.at - Date.now();
    if (wait > 0) await delay(wait);
    sent.push(post(input, push));
  }
  return Promise.all(sent);
}

helperMain(run);
