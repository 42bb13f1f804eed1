// What the gateway does with one authenticated, parsed delivery: decide, produce, answer.
// GitLab disables a hook after repeated failures, and a 4xx until a person re-enables it, so
// only what a person must fix gets a 4xx; pushes Gradeflow does not grade get 2xx + reason.
// GitLab does not redeliver a failed webhook either, so while Kafka cannot take an event it goes
// to the durable local spool (./spool) and is still answered 202.
import { AppError, isRetryable } from '../errors/index.ts';
import type { EventProducer, GitLabEventInput } from '../events/index.ts';
import { EVENTS, createEnvelope, encodeEvent, stableId, submissionKey } from '../events/index.ts';
import type { DedupStore } from '../cache/index.ts';
import type { Logger } from '../logging/index.ts';
import type { WebhookSecrets } from './secrets.ts';
import type { LateDeliveries, Spool } from './spool/index.ts';
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
  | { readonly status: 202; readonly body: { status: 'accepted'; eventId: string; spooled?: true } }
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
  /** Where events go while Kafka cannot take them; without it a Kafka failure is a 503. */
  readonly spool?: Pick<Spool, 'append' | 'depth'>;
  /** Shared with the spool's forwarder: produces that landed after they were spooled. */
  readonly lateDeliveries?: LateDeliveries;
  /** How long a produce may take before the event is spooled instead (default 5000 ms): the
   * client's own retries take about 20 s, longer than GitLab waits for an answer. */
  readonly produceTimeoutMs?: number;
}

const ignored = (reason: string, message: string): Answer => ({ status: 200, body: { status: 'ignored', reason, message } });
const accepted = (eventId: string, spooled: boolean): Answer => ({ status: 202, body: spooled ? { status: 'accepted', eventId, spooled: true } : { status: 'accepted', eventId } });

/** Rejects with a retryable KAFKA_TIMEOUT after `ms`; the produce itself goes on (see #deliver). */
async function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppError('KAFKA_TIMEOUT', `Kafka did not acknowledge within ${ms} ms`, { retryable: true })), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The exact envelope Kafka would have got (same id and time), validated before it is stored. */
function spoolRecord(input: GitLabEventInput): Buffer {
  return input.type === 'gitlab.push'
    ? encodeEvent(createEnvelope(EVENTS.gitlabPush, 'gateway', input.event))
    : encodeEvent(createEnvelope(EVENTS.gitlabEvent, 'gateway', input.event));
}

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
      return accepted(id, await this.#deliver({ type: 'gitlab.push', event: { id, key: resolution.key, payload, occurredAt: new Date(receivedAt) } }));
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
    return accepted(id, await this.#deliver({ type: 'gitlab.event', event: { id, key, payload, occurredAt: new Date(receivedAt) } }));
  }

  /** Produces, or spools when Kafka cannot take the event; true when spooled. While the spool
   * holds events, new ones go behind them: produced directly they would overtake older events
   * of the same key. A produce that timed out may still succeed later, so Kafka can get the
   * event twice, under the same id: consumers dedupe by id. */
  async #deliver(input: GitLabEventInput): Promise<boolean> {
    const spool = this.#deps.spool;
    if (spool === undefined) {
      await this.#deps.producer.produceGitLabEvent(input);
      return false;
    }
    if (spool.depth === 0) {
      const produced = this.#deps.producer.produceGitLabEvent(input);
      let gaveUp = false;
      // Should it land after we gave up on it, the forwarder skips the spooled copy.
      produced.then(() => gaveUp && input.event.id !== undefined && this.#deps.lateDeliveries?.add(input.event.id), () => {});
      try {
        await within(produced, this.#deps.produceTimeoutMs ?? 5_000);
        return false;
      } catch (error) {
        gaveUp = true;
        if (!isRetryable(error)) throw error;
        this.#deps.log.warn({ err: error, eventId: input.event.id }, 'Kafka cannot take the event: spooling it');
      }
    }
    // Made only now: the envelope is a function of the input (its id and time are set), and
    // encoding it before every produce would validate and serialise each webhook twice.
    await spool.append(spoolRecord(input));
    return true;
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
