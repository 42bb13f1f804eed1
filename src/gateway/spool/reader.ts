// Reads durable records after the cursor, for the forwarder. Only bytes already fsynced are
// read (segment sizes grow after the sync), so nothing is forwarded that a crash could undo.
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { AppError } from '../../errors/index.ts';
import type { Position } from './files.ts';
import { segmentPath } from './files.ts';
import { parseAt } from './format.ts';
import type { SegmentInfo } from './recovery.ts';

export interface SpoolBatch {
  /** The stored records, oldest first, exactly as appended. */
  readonly records: readonly Buffer[];
  /** Where the cursor goes once every record of the batch is acknowledged. */
  readonly end: Position;
}

const CHUNK_BYTES = 1024 * 1024;

export class SpoolReader {
  readonly #dir: string;
  /** The spool's live list: segments appear and disappear as it writes and forwards. */
  readonly #segments: readonly SegmentInfo[];
  #open: { readonly seq: number; readonly handle: FileHandle } | null = null;
  #waiters = new Set<() => void>();

  constructor(dir: string, segments: readonly SegmentInfo[]) {
    this.#dir = dir;
    this.#segments = segments;
  }

  async read(from: Position, maxRecords: number): Promise<SpoolBatch> {
    const records: Buffer[] = [];
    let position = from;
    let bytes = 0;
    while (records.length < maxRecords && bytes < CHUNK_BYTES) {
      // The cursor's segment may be gone (deleted once fully forwarded): go on with the next.
      const segment = this.#segments.find((candidate) => candidate.seq >= position.segment);
      if (segment === undefined) break;
      if (segment.seq !== position.segment) position = { segment: segment.seq, offset: 0 };
      if (position.offset >= segment.size) {
        const next = this.#segments.find((candidate) => candidate.seq > segment.seq);
        if (next === undefined) break;
        position = { segment: next.seq, offset: 0 };
        continue;
      }
      const chunk = await this.#readRecords(segment, position.offset, maxRecords - records.length);
      records.push(...chunk.records);
      bytes += chunk.end - position.offset;
      position = { segment: segment.seq, offset: chunk.end };
    }
    return { records, end: position };
  }

  async #readRecords(segment: SegmentInfo, offset: number, maxRecords: number): Promise<{ records: Buffer[]; end: number }> {
    const available = segment.size - offset;
    let buffer = await this.#readAt(segment.seq, offset, Math.min(available, CHUNK_BYTES));
    const records: Buffer[] = [];
    let at = 0;
    while (at < buffer.length && records.length < maxRecords) {
      const parsed = parseAt(buffer, at);
      if (parsed.kind === 'record') {
        records.push(parsed.payload);
        at = parsed.end;
      } else if (parsed.kind === 'incomplete' && at === 0 && parsed.needBytes <= available) {
        buffer = await this.#readAt(segment.seq, offset, parsed.needBytes); // one record larger than a chunk
      } else if (parsed.kind === 'incomplete') {
        break;
      } else {
        // Written and synced by this process, so the disk changed it: stop rather than skip.
        throw new AppError('SPOOL_CORRUPT', `spool segment ${segmentPath(this.#dir, segment.seq)}: ${parsed.reason} at offset ${offset + at}; restart the gateway to cut it off`, { retryable: true });
      }
    }
    // The durable size promises a whole record here; reading none would spin forever.
    if (at === 0) throw new AppError('SPOOL_CORRUPT', `spool segment ${segmentPath(this.#dir, segment.seq)}: no whole record at offset ${offset}`, { retryable: true });
    return { records, end: offset + at };
  }

  async #readAt(seq: number, position: number, length: number): Promise<Buffer> {
    if (this.#open?.seq !== seq) {
      await this.#open?.handle.close();
      this.#open = { seq, handle: await open(segmentPath(this.#dir, seq), 'r') };
    }
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.#open.handle.read(buffer, filled, length - filled, position + filled);
      if (bytesRead === 0) throw new AppError('SPOOL_CORRUPT', `spool segment ${segmentPath(this.#dir, seq)} ended before its durable size`, { retryable: true });
      filled += bytesRead;
    }
    return buffer;
  }

  /** Resolves on the next durable append, or rejects when the signal aborts. */
  waitForAppend(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const done = () => {
        this.#waiters.delete(done);
        signal?.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = () => {
        this.#waiters.delete(done);
        reject(signal?.reason);
      };
      this.#waiters.add(done);
      signal?.addEventListener('abort', aborted, { once: true });
    });
  }

  notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  async forget(seq: number): Promise<void> {
    if (this.#open?.seq !== seq) return;
    const { handle } = this.#open;
    this.#open = null;
    await handle.close();
  }

  async close(): Promise<void> {
    const current = this.#open;
    this.#open = null;
    await current?.handle.close();
    this.notify();
  }
}
