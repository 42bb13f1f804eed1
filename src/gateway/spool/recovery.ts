// Opening a spool after any stop, clean or not: drop segments already forwarded, cut off a torn
// or damaged tail (keeping its bytes beside the segment for a person to look at), and count
// what is still to forward. A crash can only tear the end of the newest segment; damage
// anywhere else is a disk problem and is logged as an error.
import { open, readFile, truncate, unlink, writeFile } from 'node:fs/promises';
import type { Logger } from '../../logging/index.ts';
import type { Position } from './files.ts';
import { listSegments, readCursor, segmentPath, syncDir } from './files.ts';
import { scan } from './format.ts';

export interface SegmentInfo {
  readonly seq: number;
  /** Bytes of intact, durable records. */
  size: number;
}

export interface Recovered {
  /** Segments from the cursor's on, oldest first. */
  readonly segments: SegmentInfo[];
  readonly cursor: Position;
  /** Append times of the records not forwarded yet, oldest first. */
  readonly appendedAtMs: number[];
  /** Above every segment number ever used: numbers are never reused, or a cursor left
   * pointing into a deleted segment could skip records of a new one with the same number. */
  readonly nextSeq: number;
}

export async function recover(dir: string, log: Logger): Promise<Recovered> {
  const found = await listSegments(dir);
  const { position, problem } = await readCursor(dir);
  if (problem !== null) log.error({ dir, problem }, 'spool cursor unreadable: forwarding from the oldest segment (events may be sent twice; their ids dedupe them)');
  const start = position ?? { segment: found[0] ?? 0, offset: 0 };
  const segments: SegmentInfo[] = [];
  const appendedAtMs: number[] = [];
  let cursor: Position | null = null;
  for (const seq of found) {
    if (seq < start.segment) {
      await unlink(segmentPath(dir, seq)); // fully forwarded before the stop
      continue;
    }
    const from = seq === start.segment ? start.offset : 0;
    const intact = await checkSegment(dir, seq, from, seq === found.at(-1), log);
    segments.push({ seq, size: intact.size });
    appendedAtMs.push(...intact.appendedAtMs);
    cursor ??= { segment: seq, offset: Math.min(from, intact.size) };
  }
  const nextSeq = Math.max(start.segment, found.at(-1) ?? 0) + 1;
  return { segments, cursor: cursor ?? { segment: nextSeq, offset: 0 }, appendedAtMs, nextSeq };
}

async function checkSegment(dir: string, seq: number, from: number, newest: boolean, log: Logger): Promise<{ size: number; appendedAtMs: number[] }> {
  const file = segmentPath(dir, seq);
  const bytes = await readFile(file);
  if (from > bytes.length) {
    log.error({ file, cursor: from, size: bytes.length }, 'spool segment is shorter than its cursor: the disk lost acknowledged bytes');
    return { size: bytes.length, appendedAtMs: [] };
  }
  const result = scan(bytes, from);
  if (result.problem === null) return { size: bytes.length, appendedAtMs: result.appendedAtMs };
  const damaged = `${file}.damaged-${Date.now()}`;
  await writeFile(damaged, bytes.subarray(result.validEnd));
  await truncate(file, result.validEnd);
  await syncFile(file);
  await syncDir(dir);
  const details = { file, problem: result.problem, droppedBytes: bytes.length - result.validEnd, keptIn: damaged };
  if (newest) log.warn(details, 'spool: cut off the tail of an append interrupted by a crash (it was never acknowledged)');
  else log.error(details, 'spool: damaged records cut off; the rest of the spool is forwarded');
  return { size: result.validEnd, appendedAtMs: result.appendedAtMs };
}

async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}
