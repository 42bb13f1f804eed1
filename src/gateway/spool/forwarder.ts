// Forwards the spool to Kafka once Kafka takes events again: oldest first, in order per key
// (one key's records one after another, different keys concurrently), with the event's own id
// so consumers dedupe a record that reached Kafka twice (a produce that timed out at the gateway
// and later succeeded, or a crash between Kafka's ack and the cursor write). The cursor moves
// only after Kafka acknowledged every record of a batch.
import { randomUUID } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { isRetryable } from '../../errors/index.ts';
import type { AnyEnvelope, EventDefinition, EventPublisher, EventType, PayloadInput } from '../../events/index.ts';
import { decodeEvent, findDefinition } from '../../events/index.ts';
import type { Logger } from '../../logging/index.ts';
import type { LateDeliveries } from './late-deliveries.ts';
import type { Spool } from './spool.ts';

export interface ForwarderOptions {
  readonly log: Logger;
  /** Records per batch, i.e. per cursor write (default 256). */
  readonly batchSize?: number;
  /** Backoff between attempts while Kafka is away (default 200 ms doubling to 5 s). */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Spooled events whose original produce landed after all: not sent again. */
  readonly lateDeliveries?: LateDeliveries;
}

export interface Forwarder {
  /** Stops at once; records sent but not yet acknowledged are sent again after a restart. */
  stop(): Promise<void>;
  /** Resolves when the spool is empty (every record acknowledged by Kafka). */
  drained(): Promise<void>;
}

type Publisher = Pick<EventPublisher, 'publish'>;

export function startForwarder(spool: Spool, producer: Publisher, options: ForwarderOptions): Forwarder {
  const controller = new AbortController();
  const run = new Run(spool, producer, options, controller.signal);
  const running = run.loop();
  return {
    async stop() {
      controller.abort(new Error('forwarder stopped'));
      await running;
    },
    drained: () => spool.whenEmpty(),
  };
}

class Run {
  readonly #spool: Spool;
  readonly #producer: Publisher;
  readonly #log: Logger;
  readonly #signal: AbortSignal;
  readonly #batchSize: number;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #lateDeliveries: LateDeliveries | undefined;

  constructor(spool: Spool, producer: Publisher, options: ForwarderOptions, signal: AbortSignal) {
    this.#spool = spool;
    this.#producer = producer;
    this.#log = options.log.child({ component: 'spool-forwarder' });
    this.#signal = signal;
    this.#batchSize = options.batchSize ?? 256;
    this.#initialDelayMs = options.initialDelayMs ?? 200;
    this.#maxDelayMs = options.maxDelayMs ?? 5_000;
    this.#lateDeliveries = options.lateDeliveries;
  }

  async loop(): Promise<void> {
    let failures = 0;
    while (!this.#signal.aborted) {
      try {
        const batch = await this.#spool.read(this.#batchSize, this.#signal);
        // Every chain settles before the batch is retried or the loop ends: a chain still
        // running would otherwise send alongside the next attempt.
        const chains = await Promise.allSettled(chainsByKey(batch.records).map((chain) => this.#sendChain(chain)));
        const failed = chains.find((chain) => chain.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
        await this.#spool.ack(batch);
        this.#log.debug({ forwarded: batch.records.length, depth: this.#spool.depth }, 'spool batch forwarded');
        failures = 0;
      } catch (error) {
        if (this.#signal.aborted) return;
        if ((error as { code?: unknown }).code === 'SPOOL_CLOSED') return; // closed under us: nothing left to do
        failures += 1;
        this.#log.error({ err: error }, 'spool forwarding failed; trying again');
        await this.#pause(failures).catch(() => {});
      }
    }
  }

  async #sendChain(chain: readonly Item[]): Promise<void> {
    for (const item of chain) {
      if (item.envelope === null) await this.#setAside(item.record, item.error, null);
      else await this.#send(item.record, item.envelope);
    }
  }

  async #send(record: Buffer, envelope: AnyEnvelope): Promise<void> {
    if (this.#lateDeliveries?.take(envelope.id) === true) return;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.#abortable(this.#publish(envelope));
      } catch (error) {
        if (this.#signal.aborted) throw error;
        if (!isRetryable(error)) return this.#setAside(record, error, envelope.id);
        if (attempt === 1 || attempt % 10 === 0) this.#log.warn({ err: error, eventId: envelope.id, attempt, depth: this.#spool.depth }, 'Kafka does not take spooled events yet; retrying');
        await this.#pause(attempt);
      }
    }
  }

  async #publish(envelope: AnyEnvelope): Promise<void> {
    const definition = findDefinition(envelope.type, envelope.version) as EventDefinition<EventType>;
    await this.#producer.publish(definition, {
      id: envelope.id,
      key: envelope.key,
      payload: envelope.payload as PayloadInput<EventType>,
      occurredAt: new Date(envelope.occurredAt),
    });
  }

  /** A produce can hang for the client's whole retry budget (about 20 s): stop() must not. */
  #abortable<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const aborted = () => reject(this.#signal.reason);
      // Handled first, so a produce failing after stop() is not an unhandled rejection.
      work.then(resolve, reject).finally(() => this.#signal.removeEventListener('abort', aborted));
      if (this.#signal.aborted) return aborted();
      this.#signal.addEventListener('abort', aborted, { once: true });
    });
  }

  #pause(attempt: number): Promise<void> {
    const ms = Math.min(this.#maxDelayMs, this.#initialDelayMs * 2 ** Math.min(attempt - 1, 20)) * (0.5 + Math.random() / 2);
    return delay(ms, undefined, { signal: this.#signal });
  }

  /** Kafka will never take this record (invalid, too large): keep it beside the spool for a
   * person instead of blocking every later event or dropping it. */
  async #setAside(record: Buffer, error: unknown, eventId: string | null): Promise<void> {
    const dir = path.join(this.#spool.dir, 'rejected');
    const file = path.join(dir, `${Date.now()}-${eventId ?? randomUUID()}.json`);
    await mkdir(dir, { recursive: true });
    const handle = await open(file, 'wx');
    try {
      await handle.writeFile(record);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    this.#log.error({ err: error, eventId, file }, 'Kafka refuses a spooled event for good: set aside, the spool goes on');
  }
}

type Item = { readonly record: Buffer; readonly envelope: AnyEnvelope; readonly error?: undefined } | { readonly record: Buffer; readonly envelope: null; readonly error: unknown };

/** Records grouped by key, each group in spool order; undecodable ones form their own groups. */
function chainsByKey(records: readonly Buffer[]): Item[][] {
  const chains = new Map<string, Item[]>();
  records.forEach((record, index) => {
    const item = decoded(record);
    const key = item.envelope?.key ?? `\u0000${index}`;
    const chain = chains.get(key);
    if (chain === undefined) chains.set(key, [item]);
    else chain.push(item);
  });
  return [...chains.values()];
}

function decoded(record: Buffer): Item {
  try {
    return { record, envelope: decodeEvent(record) };
  } catch (error) {
    return { record, envelope: null, error };
  }
}
