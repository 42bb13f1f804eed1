// The spool's files: numbered segments, the read cursor, and a lock so two gateways never
// append to one directory (their records would interleave into garbage).
import { open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../errors/index.ts';

/** A place in the spool: a byte offset within a segment, always on a record boundary. */
export interface Position {
  readonly segment: number;
  readonly offset: number;
}

const SEGMENT = /^(\d{16})\.seg$/;
const CURSOR = 'cursor.json';

export const segmentPath = (dir: string, segment: number): string => path.join(dir, `${String(segment).padStart(16, '0')}.seg`);

export async function listSegments(dir: string): Promise<number[]> {
  const names = await readdir(dir);
  return names.flatMap((name) => {
    const match = SEGMENT.exec(name);
    return match?.[1] === undefined ? [] : [Number(match[1])];
  }).sort((a, b) => a - b);
}

/** A new or removed file is durable only once its directory entry is: fsync the directory. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The cursor is replaced by rename, which is atomic: a crash leaves the old or the new one. */
export async function writeCursor(dir: string, position: Position): Promise<void> {
  const temporary = path.join(dir, `${CURSOR}.tmp`);
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(JSON.stringify(position));
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path.join(dir, CURSOR));
  await syncDir(dir);
}

/** null when there is none (a new spool) or it cannot be read: forwarding then starts at the
 * oldest segment, which may send some events again; their ids make that harmless. */
export async function readCursor(dir: string): Promise<{ position: Position | null; problem: string | null }> {
  let text: string;
  try {
    text = await readFile(path.join(dir, CURSOR), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { position: null, problem: null };
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<Position>;
    if (Number.isSafeInteger(value.segment) && Number.isSafeInteger(value.offset)) return { position: { segment: value.segment as number, offset: value.offset as number }, problem: null };
  } catch {
    // reported below
  }
  return { position: null, problem: `unreadable cursor ${JSON.stringify(text.slice(0, 100))}` };
}

const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the directory for this process; a lock left by a dead process (crash) is taken over. */
export async function lockDir(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, 'LOCK');
  if (heldHere.has(dir)) throw new AppError('SPOOL_LOCKED', `spool ${dir} is already open in this process`);
  const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
    throw new AppError('SPOOL_LOCKED', `spool ${dir} is in use by process ${holder}: every gateway needs its own GRADEFLOW_DATA_DIR`);
  }
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(String(process.pid));
    await handle.datasync();
  } finally {
    await handle.close();
  }
  heldHere.add(dir);
  return async () => {
    heldHere.delete(dir);
    await unlink(file).catch(() => {});
  };
}
