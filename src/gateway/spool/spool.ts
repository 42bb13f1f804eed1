// A durable, append-only, size-bounded local queue of events Kafka could not take (yet).
// append() resolves only once the record is on disk (fdatasync), so the gateway may answer
// 202. Appends that arrive while a write is being synced are written and synced together with
// the next one (group commit): one fsync per batch instead of one per event keeps throughput
// high when a whole year of students pushes during an outage.
//
// Layout under `dir`: numbered segment files of framed records (format.ts), `cursor.json`
// (where forwarding resumes, written only after Kafka acknowledged), and `LOCK`.
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../errors/index.ts';
import type { Logger } from '../../logging/index.ts';
import { lockDir, segmentPath, syncDir, writeCursor } from './files.ts';
import type { Position } from './files.ts';
import { frame } from './format.ts';
import { SpoolReader } from './reader.ts';
import type { SpoolBatch } from './reader.ts';
import { recover } from './recovery.ts';
import type { SegmentInfo } from './recovery.ts';
import { TimeQueue } from './time-queue.ts';

/** The gauges and counters of src/metrics the spool keeps current (structural, so a test can pass fakes). */
export interface SpoolMetrics {
  readonly spoolDepth: { set(value: number): void };
  readonly spoolBytes: { set(value: number): void };
  readonly spoolOldestAgeSeconds: { set(value: number): void };
  readonly spoolAppended: { inc(value?: number): void };
  readonly spoolForwarded: { inc(value?: number): void };
}

export interface SpoolOptions {
  readonly dir: string;
  /** Bytes on disk the spool may use; an append beyond it fails with SPOOL_FULL. */
  readonly maxBytes: number;
  readonly log: Logger;
  readonly metrics?: SpoolMetrics;
  /** A segment is started after this many bytes, so forwarded ones can be deleted (default
   * maxBytes / 8, between 64 KiB and 16 MiB). */
  readonly segmentBytes?: number;
}

export interface Spool {
  readonly dir: string;
  /** Resolves once the record is durable; SPOOL_FULL when it does not fit. */
  append(record: Uint8Array): Promise<void>;
  /** Records appended (or being appended) and not yet acknowledged by Kafka. */
  readonly depth: number;
  /** Bytes of segment files on disk: what maxBytes bounds. */
  readonly bytes: number;
  readonly oldestAgeSeconds: number;
  /** Waits for at least one record after the cursor, then returns up to `maxRecords` of them. */
  read(maxRecords: number, signal?: AbortSignal): Promise<SpoolBatch>;
  /** Moves the cursor past a batch Kafka has acknowledged (durably) and deletes what it emptied. */
  ack(batch: SpoolBatch): Promise<void>;
  /** Resolves when depth is 0. */
  whenEmpty(): Promise<void>;
  close(): Promise<void>;
}

interface Pending {
  readonly bytes: Buffer;
  readonly appendedAtMs: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export async function openSpool(options: SpoolOptions): Promise<Spool> {
  if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes <= 0) throw new Error(`spool maxBytes must be a positive integer, got ${options.maxBytes}`);
  const dir = path.resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const unlock = await lockDir(dir);
  try {
    const recovered = await recover(dir, options.log);
    const spool = new FileSpool(dir, options, recovered, unlock);
    if (spool.depth > 0) options.log.info({ dir, depth: spool.depth, bytes: spool.bytes }, 'spool holds events from before the restart: they are forwarded first');
    return spool;
  } catch (error) {
    await unlock();
    throw error;
  }
}

class FileSpool implements Spool {
  readonly dir: string;
  readonly #maxBytes: number;
  readonly #segmentBytes: number;
  readonly #log: Logger;
  readonly #metrics: SpoolMetrics | undefined;
  readonly #segments: SegmentInfo[];
  readonly #reader: SpoolReader;
  /** Append times of durable records after the cursor: depth and oldest age. */
  readonly #unacked: TimeQueue;
  readonly #unlock: () => Promise<void>;
  readonly #refresh: NodeJS.Timeout | undefined;
  #cursor: Position;
  #nextSeq: number;
  #writer: { readonly segment: SegmentInfo; readonly handle: FileHandle } | null = null;
  #pending: Pending[] = [];
  /** Records queued or being written, and their bytes: counted against maxBytes. */
  #queued = 0;
  #queuedBytes = 0;
  /** File-structure work (writing, rolling, deleting segments) runs one step at a time. */
  #serial: Promise<unknown> = Promise.resolve();
  #flushing = false;
  #broken: unknown = null;
  #closed = false;
  #emptyWaiters: Array<() => void> = [];

  constructor(dir: string, options: SpoolOptions, recovered: Awaited<ReturnType<typeof recover>>, unlock: () => Promise<void>) {
    this.dir = dir;
    this.#maxBytes = options.maxBytes;
    this.#segmentBytes = options.segmentBytes ?? Math.min(16 * 2 ** 20, Math.max(64 * 2 ** 10, Math.floor(options.maxBytes / 8)));
    this.#log = options.log;
    this.#metrics = options.metrics;
    this.#segments = recovered.segments;
    this.#cursor = recovered.cursor;
    this.#nextSeq = recovered.nextSeq;
    this.#unacked = new TimeQueue(recovered.appendedAtMs);
    this.#unlock = unlock;
    this.#reader = new SpoolReader(dir, this.#segments);
    // The age of the oldest event grows while nothing happens: refresh it for scrapes.
    this.#refresh = this.#metrics === undefined ? undefined : setInterval(() => this.#publish(), 1000).unref();
    this.#publish();
  }

  get depth(): number {
    return this.#unacked.length + this.#queued;
  }

  get bytes(): number {
    return this.#segments.reduce((sum, segment) => sum + segment.size, 0);
  }

  get oldestAgeSeconds(): number {
    const oldest = this.#unacked.oldest ?? this.#pending[0]?.appendedAtMs;
    return oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000);
  }

  append(record: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new AppError('SPOOL_CLOSED', 'the spool is closed (the gateway is stopping)', { retryable: true }));
    if (this.#broken !== null) return Promise.reject(new AppError('SPOOL_BROKEN', 'the spool cannot be written since an earlier disk error', { retryable: true, cause: this.#broken }));
    const appendedAtMs = Date.now();
    const bytes = frame(record, appendedAtMs);
    if (this.bytes + this.#queuedBytes + bytes.length > this.#maxBytes) {
      return Promise.reject(new AppError('SPOOL_FULL', `the spool is full: ${this.bytes + this.#queuedBytes} of ${this.#maxBytes} bytes hold events Kafka has not taken yet`, { retryable: true }));
    }
    this.#queued += 1;
    this.#queuedBytes += bytes.length;
    const written = new Promise<void>((resolve, reject) => this.#pending.push({ bytes, appendedAtMs, resolve, reject }));
    if (!this.#flushing) {
      this.#flushing = true;
      void this.#exclusive(() => this.#flushAll());
    }
    return written;
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(work);
    this.#serial = run.catch(() => {});
    return run;
  }

  /** Writes what is pending; appends arriving meanwhile form the next batch (group commit). */
  async #flushAll(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      await this.#writeBatch(batch);
    }
    this.#flushing = false;
  }

  async #writeBatch(batch: Pending[]): Promise<void> {
    const bytes = Buffer.concat(batch.map((item) => item.bytes));
    let error: unknown = null;
    try {
      await this.#writeDurably(bytes);
    } catch (caught) {
      error = caught;
    }
    this.#queued -= batch.length;
    this.#queuedBytes -= bytes.length;
    if (error === null) {
      for (const item of batch) this.#unacked.push(item.appendedAtMs);
      this.#metrics?.spoolAppended.inc(batch.length);
      this.#reader.notify();
    }
    this.#publish();
    for (const item of batch) {
      if (error === null) item.resolve();
      else item.reject(new AppError('SPOOL_WRITE_FAILED', `could not write the spool: ${(error as Error).message}`, { retryable: true, cause: error }));
    }
    this.#notifyIfEmpty();
  }

  async #writeDurably(bytes: Buffer): Promise<void> {
    const writer = await this.#writerFor(bytes.length);
    const at = writer.segment.size;
    try {
      await writer.handle.write(bytes, 0, bytes.length, at);
      await writer.handle.datasync();
      writer.segment.size += bytes.length;
    } catch (error) {
      // After a failed fsync the page cache cannot be trusted: cut the file back to what was
      // durable and continue in a new segment. If even that fails, stop taking appends.
      this.#log.error({ err: error, dir: this.dir }, 'spool write failed');
      this.#writer = null;
      await writer.handle.truncate(at).then(() => writer.handle.close()).catch((fatal: unknown) => {
        this.#broken = fatal;
      });
      throw error;
    }
  }

  async #writerFor(length: number): Promise<{ readonly segment: SegmentInfo; readonly handle: FileHandle }> {
    const current = this.#writer;
    if (current !== null && (current.segment.size === 0 || current.segment.size + length <= this.#segmentBytes)) return current;
    if (current !== null) await current.handle.close();
    this.#writer = null;
    const seq = this.#nextSeq;
    const handle = await open(segmentPath(this.dir, seq), 'wx');
    this.#nextSeq += 1;
    await syncDir(this.dir);
    const segment: SegmentInfo = { seq, size: 0 };
    this.#segments.push(segment);
    this.#writer = { segment, handle };
    return this.#writer;
  }

  async read(maxRecords: number, signal?: AbortSignal): Promise<SpoolBatch> {
    for (;;) {
      if (this.#closed) throw new AppError('SPOOL_CLOSED', 'the spool is closed', { retryable: false });
      const batch = await this.#reader.read(this.#cursor, maxRecords);
      if (batch.records.length > 0) return batch;
      await this.#reader.waitForAppend(signal);
    }
  }

  async ack(batch: SpoolBatch): Promise<void> {
    await writeCursor(this.dir, batch.end);
    this.#cursor = batch.end;
    this.#unacked.drop(batch.records.length);
    this.#metrics?.spoolForwarded.inc(batch.records.length);
    await this.#exclusive(() => this.#dropForwarded());
    this.#publish();
    this.#notifyIfEmpty();
  }

  /** Deletes segments the cursor has left behind. The segment being written is closed first
   * once fully forwarded, so an idle spool takes no space; the next append starts a new one. */
  async #dropForwarded(): Promise<void> {
    const writer = this.#writer;
    if (writer !== null && writer.segment.seq === this.#cursor.segment && this.#cursor.offset >= writer.segment.size) {
      this.#writer = null;
      await writer.handle.close();
    }
    const done = this.#segments.filter((segment) => segment !== this.#writer?.segment && (segment.seq < this.#cursor.segment || (segment.seq === this.#cursor.segment && this.#cursor.offset >= segment.size)));
    for (const segment of done) {
      await this.#reader.forget(segment.seq);
      await unlink(segmentPath(this.dir, segment.seq));
      this.#segments.splice(this.#segments.indexOf(segment), 1);
    }
  }

  whenEmpty(): Promise<void> {
    if (this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.#emptyWaiters.push(resolve));
  }

  #notifyIfEmpty(): void {
    if (this.depth > 0) return;
    for (const resolve of this.#emptyWaiters.splice(0)) resolve();
  }

  #publish(): void {
    this.#metrics?.spoolDepth.set(this.depth);
    this.#metrics?.spoolBytes.set(this.bytes);
    this.#metrics?.spoolOldestAgeSeconds.set(this.oldestAgeSeconds);
  }

  /** Finishes the appends already accepted (their callers wait for them), then lets go. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#refresh);
    await this.#exclusive(async () => {
      await this.#writer?.handle.close();
      this.#writer = null;
    });
    await this.#reader.close();
    await this.#unlock();
  }
}
