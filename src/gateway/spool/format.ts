// One spool record on disk: [crc32 u32][length u32][appended-at ms f64][payload]. The CRC
// covers everything after itself (length and time included), so a torn write (crash in the
// middle of an append) or a flipped bit is found when the spool is opened, instead of being
// forwarded as a broken event or making the length of every later record wrong.
import { crc32 } from 'node:zlib';

export const HEADER_BYTES = 16;
/** A length above this can only be garbage: webhook bodies are limited to a few MiB. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export function frame(payload: Uint8Array, appendedAtMs: number): Buffer {
  const buffer = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  buffer.writeUInt32BE(payload.length, 4);
  buffer.writeDoubleBE(appendedAtMs, 8);
  buffer.set(payload, HEADER_BYTES);
  buffer.writeUInt32BE(crc32(buffer.subarray(4)), 0);
  return buffer;
}

export type Parsed =
  | { readonly kind: 'record'; readonly payload: Buffer; readonly appendedAtMs: number; readonly end: number }
  /** The bytes stop before the record does: a torn tail at the end of a file, or read more. */
  | { readonly kind: 'incomplete'; readonly needBytes: number }
  | { readonly kind: 'corrupt'; readonly reason: string };

/** Parses the record starting at `offset` of `buffer` (offsets are within the buffer). */
export function parseAt(buffer: Buffer, offset: number): Parsed {
  if (buffer.length - offset < HEADER_BYTES) return { kind: 'incomplete', needBytes: HEADER_BYTES };
  const length = buffer.readUInt32BE(offset + 4);
  if (length > MAX_RECORD_BYTES) return { kind: 'corrupt', reason: `record length ${length} is impossible` };
  const end = offset + HEADER_BYTES + length;
  if (end > buffer.length) return { kind: 'incomplete', needBytes: HEADER_BYTES + length };
  const expected = buffer.readUInt32BE(offset);
  if (crc32(buffer.subarray(offset + 4, end)) !== expected) return { kind: 'corrupt', reason: 'CRC mismatch' };
  return { kind: 'record', payload: buffer.subarray(offset + HEADER_BYTES, end), appendedAtMs: buffer.readDoubleBE(offset + 8), end };
}

export interface Scan {
  /** Append times of the intact records, in file order. */
  readonly appendedAtMs: number[];
  /** Offset just after the last intact record: everything after it is damaged or torn. */
  readonly validEnd: number;
  /** Why the scan stopped before the end of the buffer, if it did. */
  readonly problem: string | null;
}

/** Walks the records of a whole segment from `start`, stopping at the first damaged one. */
export function scan(buffer: Buffer, start: number): Scan {
  const appendedAtMs: number[] = [];
  let offset = start;
  while (offset < buffer.length) {
    const parsed = parseAt(buffer, offset);
    if (parsed.kind === 'incomplete') return { appendedAtMs, validEnd: offset, problem: `torn record at offset ${offset} (${buffer.length - offset} bytes)` };
    if (parsed.kind === 'corrupt') return { appendedAtMs, validEnd: offset, problem: `${parsed.reason} at offset ${offset}` };
    appendedAtMs.push(parsed.appendedAtMs);
    offset = parsed.end;
  }
  return { appendedAtMs, validEnd: offset, problem: null };
}
