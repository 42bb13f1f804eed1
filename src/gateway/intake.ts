// What the gateway does with one authenticated, parsed delivery: decide, produce, answer.
// GitLab disables a hook after repeated failures, and a 4xx until a person re-enables it, so
// only what a person must fix gets a 4xx; pushes Gradeflow does not grade get 2xx + reason.
import type { EventProducer } from '../events/index.ts';
import { stableId, submissionKey } from '../events/index.ts';
import type { DedupStore } from '../cache/index.ts';
import type { Logger } from '../logging/index.ts';
import type { WebhookSecrets } from './secrets.ts';
import { tokensEqual } from './secrets.ts';
import { acceptedKind, deliveryKey, mapPush, projectOf, sanitizedBody } from './webhook-payload.ts';

export type Resolution =
  | { readonly ok: true; readonly course: { readonly slug: string }; readonly assignment: { readonly slug: string }; readonly student: string; readonly key: string }
  | { readonly ok: false; readonly reason: string; readonly message: string };

export interface ProjectResolver {
  resolve(pathWithNamespace: string): Resolution;
}

export interface Delivery {
  readonly eventHeader: string;
  readonly token: string;
  readonly idempotencyKey?: string;
  readonly eventUuid?: string;
  readonly body: Record<string, unknown>;
}

export type Answer =
  | { readonly status: 202; readonly body: { status: 'accepted'; eventId: string } }
  | { readonly status: 200; readonly body: { status: 'duplicate'; eventId: string } | { status: 'ignored'; reason: string; message: string } }
  | { readonly status: 401; readonly body: { error: string; message: string } };

export interface IntakeDeps {
  readonly producer: Pick<EventProducer, 'produceGitLabEvent'>;
  readonly resolver: ProjectResolver;
  readonly secrets: WebhookSecrets;
  readonly dedup: DedupStore;
  readonly log: Logger;
  readonly clock?: () => Date;
  readonly dedupTtlSeconds?: number;
}

const ignored = (reason: string, message: string): Answer => ({ status: 200, body: { status: 'ignored', reason, message } });

export class WebhookIntake {
  readonly #deps: IntakeDeps;
  /** Concurrent deliveries of the same key wait for the first instead of producing twice. */
  readonly #inFlight = new Map<string, Promise<Answer>>();

  constructor(deps: IntakeDeps) {
    this.#deps = deps;
  }

  async accept(delivery: Delivery): Promise<Answer> {
    const kind = acceptedKind(delivery.eventHeader);
    if (kind === null) return ignored('unsupported-event', `${delivery.eventHeader} events are not used by Gradeflow`);
    const project = projectOf(delivery.body);
    const resolution = project.path === null ? null : this.#deps.resolver.resolve(project.path);
    const denied = this.#authenticate(delivery.token, resolution);
    if (denied !== null) return denied;
    if (resolution === null || !resolution.ok) {
      if (kind === 'push') return ignored(resolution?.reason ?? 'no-project', resolution?.message ?? 'payload names no project');
    }
    const key = deliveryKey(delivery, kind, delivery.body);
    if (key === null) return this.#produce(kind, delivery, resolution, null);
    const running = this.#inFlight.get(key);
    if (running !== undefined) return this.#asDuplicate(await running);
    const answer = this.#deduplicated(key, kind, delivery, resolution);
    this.#inFlight.set(key, answer);
    try {
      return await answer;
    } finally {
      this.#inFlight.delete(key);
    }
  }

  #authenticate(token: string, resolution: Resolution | null): Answer | null {
    if (resolution === null || !resolution.ok) return null; // isKnown() was checked before the body was read
    const expected = this.#deps.secrets.forCourse(resolution.course.slug);
    if (expected === null) {
      return { status: 401, body: { error: 'NO_WEBHOOK_SECRET', message: `course ${resolution.course.slug} has no webhook secret: set gitlab.webhookSecret in its course file or GITLAB_WEBHOOK_SECRET` } };
    }
    if (!tokensEqual(token, expected)) {
      return { status: 401, body: { error: 'INVALID_TOKEN', message: `X-Gitlab-Token does not match the webhook secret of course ${resolution.course.slug}` } };
    }
    return null;
  }

  async #deduplicated(key: string, kind: string, delivery: Delivery, resolution: Resolution | null): Promise<Answer> {
    const eventId = stableId('gitlab-delivery', key);
    if (await this.#seen(key)) return { status: 200, body: { status: 'duplicate', eventId } };
    const answer = await this.#produce(kind, delivery, resolution, eventId);
    if (answer.status === 202) await this.#remember(key);
    return answer;
  }

  async #produce(kind: string, delivery: Delivery, resolution: Resolution | null, eventId: string | null): Promise<Answer> {
    const receivedAt = (this.#deps.clock?.() ?? new Date()).toISOString();
    const deliveryId = delivery.idempotencyKey ?? delivery.eventUuid ?? eventId ?? 'none';
    const id = eventId ?? stableId('gitlab-delivery', deliveryId, receivedAt, String(Math.random()));
    if (kind === 'push' && resolution?.ok) {
      const push = mapPush(delivery.body);
      if (!push.ok) return ignored(push.reason, push.message);
      const payload = { ...push.payload, deliveryId, receivedAt, course: resolution.course.slug, assignment: resolution.assignment.slug, student: resolution.student };
      await this.#deps.producer.produceGitLabEvent({ type: 'gitlab.push', event: { id, key: resolution.key, payload } });
      return { status: 202, body: { status: 'accepted', eventId: id } };
    }
    const project = projectOf(delivery.body);
    const target = resolution?.ok ? resolution : null;
    const payload = {
      deliveryId, receivedAt, kind,
      course: target?.course.slug ?? null,
      assignment: target?.assignment.slug ?? null,
      student: target?.student ?? null,
      projectId: project.id,
      projectPath: project.path,
      body: sanitizedBody(delivery.body),
    };
    const key = target === null ? `project:${project.path ?? project.id ?? 'unknown'}` : submissionKey(target.course.slug, target.assignment.slug, target.student);
    await this.#deps.producer.produceGitLabEvent({ type: 'gitlab.event', event: { id, key, payload } });
    return { status: 202, body: { status: 'accepted', eventId: id } };
  }

  async #seen(key: string): Promise<boolean> {
    try {
      return await this.#deps.dedup.has(key);
    } catch (error) {
      this.#deps.log.warn({ err: error }, 'dedup cache unavailable; relying on event-id dedup downstream');
      return false;
    }
  }

  async #remember(key: string): Promise<void> {
    try {
      await this.#deps.dedup.remember(key, this.#deps.dedupTtlSeconds ?? 7 * 24 * 3600);
    } catch (error) {
      this.#deps.log.warn({ err: error }, 'dedup cache unavailable; a redelivery will be deduplicated downstream');
    }
  }

  #asDuplicate(answer: Answer): Answer {
    return answer.status === 202 ? { status: 200, body: { status: 'duplicate', eventId: answer.body.eventId } } : answer;
  }
}
