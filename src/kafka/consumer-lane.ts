// One Kafka consumer of a consumer group: its stream, its partition queues, its commits, and what
// it does when partitions come and go. KafkaConsumerGroup runs two lanes, one on the group's
// topics and one on its retry topic, so a backlog of retries waiting for their due time never
// pauses fetching of fresh records.
//
// Rebalances. The client speaks the eager protocol (roundrobin): when a rebalance starts
// ('consumer:group:rebalance') any partition may be taken away, so queued records are held, not
// started; the new assignment arrives with 'consumer:group:join'. Then the queued records of
// revoked partitions are abandoned (never committed: the new owner reads them from the committed
// offset), running ones get an aborted signal (waits and retry loops stop; a handler already
// running finishes, and is not committed if its partition is gone, so a late commit cannot move
// the new owner's offset back), and the held records of kept partitions go on. On a rejoin the
// stream re-reads kept partitions from their committed offset: records already queued are
// recognised by offset and skipped, so they are not handled twice.
import { Consumer } from '@platformatic/kafka';
import type { ConsumerGroupJoinPayload, GroupAssignment, MessagesStream } from '@platformatic/kafka';
import type { Logger } from '../logging/index.ts';
import type { KafkaConnection } from './client-options.ts';
import { baseClientOptions, recordDeserializers } from './client-options.ts';
import type { KafkaMessage } from './consumer-group.ts';
import { CommitCoalescer } from './commit-coalescer.ts';
import { CommitTracker } from './commit-tracker.ts';
import { PartitionQueues } from './partition-queues.ts';
import { sleep } from './retry.ts';

/** Resolves true when the record is decided (handled, retried later or dead-lettered): commit it. */
export type LaneWork = (message: KafkaMessage, signal: AbortSignal) => Promise<boolean>;

export type Concurrency = 'key' | 'partition';

export interface LaneOptions {
  readonly connection: KafkaConnection;
  /** Client id role, e.g. `pipeline-orchestrators` or `pipeline-orchestrators.retry`. */
  readonly role: string;
  readonly groupId: string;
  /** Deployed topic names. */
  readonly topics: readonly string[];
  readonly log: Logger;
  readonly instanceId?: string;
  readonly maxInFlight: number;
  readonly concurrency: Concurrency;
  readonly sessionTimeoutMs: number;
  readonly onLag?: (topic: string, partition: number, lag: number) => void;
  readonly lagIntervalMs?: number;
}

const REBALANCE_TIMEOUT_MS = 30_000;

type Stream = MessagesStream<string, Buffer, string, string>;

export class ConsumerLane {
  readonly #options: LaneOptions;
  readonly #consumer: Consumer<string, Buffer, string, string>;
  readonly #queues: PartitionQueues;
  readonly #commits: CommitCoalescer<KafkaMessage>;
  /** Key concurrency: how far each partition may be committed. */
  readonly #tracker = new CommitTracker<KafkaMessage>();
  /** Next offset to queue per partition: anything below was queued by this owner already. */
  readonly #next = new Map<string, bigint>();
  #owned = new Set<string>();
  #stream: Stream | null = null;
  #work: LaneWork | null = null;
  #holdTimer: NodeJS.Timeout | null = null;
  #closing = false;
  /** Aborted by close(): cuts short the pause before reopening a stream. */
  readonly #closed = new AbortController();
  /** Set when close() stopped waiting: whatever finishes later is not committed. */
  #abandoned = false;

  constructor(options: LaneOptions) {
    this.#options = options;
    this.#consumer = new Consumer({
      ...baseClientOptions(options.connection, options.role),
      groupId: options.groupId,
      // Static membership: a member restarted under the same id within the session timeout gets
      // its partitions back without the others being rebalanced.
      ...(options.instanceId === undefined ? {} : { groupInstanceId: options.instanceId }),
      deserializers: recordDeserializers,
      autocommit: false,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: 1_000,
      rebalanceTimeout: REBALANCE_TIMEOUT_MS,
      // How long the broker holds a fetch that finds nothing; a record arriving answers it at
      // once (minBytes 1). Every idle consumer asks again after this long: at 200 ms the 16
      // consumers of an idle system kept the broker at 21% of a core, at 5 s (the client's
      // default) 8% (docs/performance.md).
      maxWaitTime: 5_000,
    });
    this.#commits = new CommitCoalescer((error, partition) => this.#options.log.warn({ err: error, partition }, 'offset commit failed; the record may be delivered again (handlers are idempotent)'));
    this.#queues = new PartitionQueues(options.maxInFlight, { pause: () => this.#stream?.pause(), resume: () => this.#stream?.resume() });
    // The client emits 'error' when a background step fails for good (a group rejoin whose
    // connection closed, e.g. while this member is leaving): without a listener that would end
    // the process. The client retries what can be retried; the stream's own errors are logged
    // below, and a stream that closes is reopened (#onStreamClosed).
    this.#consumer.on('error', (error: Error) => {
      if (this.#closing) this.#options.log.debug({ err: error }, 'consumer error while closing');
      else this.#options.log.error({ err: error, groupId: options.groupId }, 'consumer error');
    });
    this.#consumer.on('consumer:group:rebalance', () => this.#onRebalance());
    this.#consumer.on('consumer:group:join', (payload) => this.#onJoin(payload));
  }

  /** Partitions this lane owns now, as `topic:partition`. */
  get owned(): ReadonlySet<string> {
    return this.#owned;
  }

  async start(work: LaneWork): Promise<void> {
    this.#work = work;
    await this.#openStream();
    this.#startLagMonitoring();
  }

  async commit(): Promise<void> {
    await this.#commits.flush();
  }

  /** Stops fetching, abandons queued records, lets running ones finish (for at most `graceMs`),
   * commits what finished and leaves the group. */
  async close(graceMs: number): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#closed.abort();
    this.#clearHold();
    this.#consumer.stopLagMonitoring();
    this.#stream?.pause();
    this.#queues.revokeAll();
    this.#queues.release();
    const grace = new AbortController();
    const finished = await Promise.race([this.#queues.drain().then(() => true), sleep(graceMs, grace.signal).then(() => false)]);
    grace.abort();
    if (!finished) {
      this.#abandoned = true;
      this.#options.log.warn({ inFlight: this.#queues.size, graceMs }, 'records still in flight at shutdown; leaving them uncommitted for the next owner');
    }
    await this.commit();
    if (this.#stream !== null) await this.#stream.close();
    await this.#consumer.close();
  }

  async #openStream(): Promise<void> {
    const stream = await this.#consumer.consume({ topics: [...this.#options.topics], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
    this.#stream = stream;
    this.#owned = assignmentKeys(this.#consumer.assignments);
    stream.on('data', (message: KafkaMessage) => this.#onData(message));
    stream.on('error', (error: Error) => this.#options.log.error({ err: error }, 'consumer stream failed'));
    stream.once('close', () => void this.#onStreamClosed(stream));
  }

  #onData(message: KafkaMessage): void {
    const partition = `${message.topic}:${message.partition}`;
    if (this.#closing) return;
    // A record of a partition we do not know as ours: either a fetch answered after it was
    // revoked (drop it), or the client already fetches a new assignment whose join event has not
    // reached us yet (take it: dropping it would lose it until the next rebalance).
    if (!this.#owned.has(partition)) {
      const current = assignmentKeys(this.#consumer.assignments);
      if (!current.has(partition)) return;
      this.#adopt(current);
    }
    const next = this.#next.get(partition);
    if (next !== undefined && message.offset < next) return;
    this.#next.set(partition, message.offset + 1n);
    if (this.#options.concurrency === 'partition') {
      this.#queues.push(partition, async (signal) => {
        if (this.#work !== null && (await this.#work(message, signal))) this.#commitMessage(message, partition);
      });
      return;
    }
    this.#tracker.track(partition, message.offset, message);
    this.#queues.push(partition, async (signal) => {
      const handled = this.#work !== null && (await this.#work(message, signal));
      const upTo = this.#tracker.settle(partition, message.offset, handled);
      if (upTo !== null) this.#commitMessage(upTo, partition);
    }, message.key ?? '');
  }

  #commitMessage(message: KafkaMessage, partition: string): void {
    if (this.#abandoned) return;
    if (!this.#owned.has(partition)) {
      this.#options.log.info({ partition, offset: String(message.offset) }, 'partition revoked while the record was handled; not committing it (the new owner handles it again, idempotently)');
      return;
    }
    this.#commits.request(partition, message);
  }

  #onRebalance(): void {
    if (this.#closing || this.#queues.held) return;
    this.#options.log.info({ groupId: this.#options.groupId }, 'group rebalancing; holding queued records until the new assignment');
    this.#queues.hold();
    // Should the join never complete (broker away), do not hold forever: the client keeps trying
    // to rejoin, and commits of partitions lost meanwhile are refused by the broker anyway.
    this.#holdTimer = setTimeout(() => this.#clearHold(), REBALANCE_TIMEOUT_MS + this.#options.sessionTimeoutMs);
  }

  #onJoin(payload: ConsumerGroupJoinPayload): void {
    if (this.#closing) return;
    // Before the stream exists (members joining together at start) there is nothing to adopt,
    // but a hold set by a rebalance meanwhile must still be lifted, or queued records would wait
    // for the hold timer.
    if (this.#stream !== null) this.#adopt(assignmentKeys(payload.assignments ?? this.#consumer.assignments));
    this.#clearHold();
  }

  /** Takes `assigned` as this lane's partitions; what is no longer ours is abandoned. */
  #adopt(assigned: Set<string>): void {
    const revoked = [...this.#owned].filter((partition) => !assigned.has(partition));
    for (const partition of revoked) {
      this.#queues.revoke(partition);
      this.#tracker.forget(partition);
      this.#commits.forget(partition);
      this.#next.delete(partition);
    }
    this.#owned = assigned;
    if (revoked.length > 0) this.#options.log.info({ revoked, assigned: assigned.size }, 'partitions revoked; their queued records are left to the new owner');
  }

  #clearHold(): void {
    if (this.#holdTimer !== null) clearTimeout(this.#holdTimer);
    this.#holdTimer = null;
    this.#queues.release();
  }

  /** The client destroys a stream whose commit keeps failing with a rejoin error. A consumer must
   * not stop: give up what this stream had queued and open a new one from the committed offsets. */
  async #onStreamClosed(stream: Stream): Promise<void> {
    if (this.#closing || this.#stream !== stream) return;
    this.#options.log.error({ groupId: this.#options.groupId }, 'consumer stream closed unexpectedly; reopening it from the committed offsets');
    this.#queues.revokeAll();
    this.#tracker.forgetAll();
    this.#commits.forgetAll();
    this.#next.clear();
    this.#owned = new Set();
    for (let attempt = 1; !this.#closing; attempt += 1) {
      if (!(await sleep(Math.min(30_000, 500 * 2 ** attempt), this.#closed.signal))) return;
      try {
        await this.#openStream();
        return;
      } catch (error) {
        this.#options.log.error({ err: error, attempt }, 'reopening the consumer stream failed; retrying');
      }
    }
  }

  #startLagMonitoring(): void {
    const onLag = this.#options.onLag;
    if (onLag === undefined) return;
    this.#consumer.on('consumer:lag', (lag) => {
      // Negative values mark partitions another member owns: reporting them as 0 would overwrite
      // that member's figure.
      for (const [topic, partitions] of lag) partitions.forEach((value, partition) => value >= 0n && onLag(topic, partition, Number(value)));
    });
    this.#consumer.on('consumer:lag:error', (error) => this.#options.log.debug({ err: error }, 'lag measurement failed'));
    this.#consumer.startLagMonitoring({ topics: [...this.#options.topics] }, this.#options.lagIntervalMs ?? 5_000);
  }
}

function assignmentKeys(assignments: readonly GroupAssignment[] | null | undefined): Set<string> {
  const keys = new Set<string>();
  for (const { topic, partitions } of assignments ?? []) for (const partition of partitions) keys.add(`${topic}:${partition}`);
  return keys;
}
