// Versions of what a grade was computed with. A grade is identified by (submission, suite
// version, policy version): the same results graded again under the same tests and rules are
// the same grade; a fixed test or a changed penalty makes a new one (a re-grade).
// Glossary — suite version: hash of the check configuration and, for the local executor, the
// hidden tests' files; policy version: hash of the rules turning test results into a score.
import { createHash } from 'node:crypto';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Assignment, CheckConfig } from '../courses/index.ts';
import { AppError } from '../errors/index.ts';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Hash of {scoring, late, deadline, counts}; Dates serialise as ISO instants. */
export function policyVersion(assignment: Pick<Assignment, 'scoring' | 'late' | 'deadline' | 'counts'>): string {
  const { scoring, late, deadline, counts } = assignment;
  // Weight order is irrelevant to scoring (the most specific pattern wins), so reordering the
  // course file's weights is not a new policy.
  const weights = Object.fromEntries(Object.entries(scoring.weights).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return sha256(JSON.stringify({ scoring: { ...scoring, weights }, late, deadline, counts }));
}

/**
 * Hash of the check configuration plus, for `local`, the hidden tests' contents. The tests
 * directory's absolute path is left out: moving the courses directory to another disk or pod
 * must not turn every later result into a "new" grade; its contents are what matter.
 */
export async function suiteVersion(check: CheckConfig | null, cache: SuiteCache = defaultCache): Promise<string> {
  if (check === null || check.executor !== 'local') return sha256(JSON.stringify({ check }));
  const { tests, ...rest } = check;
  return sha256(JSON.stringify({ check: rest, tests: await cache.hashDirectory(tests) }));
}

interface Entry {
  readonly rel: string;
  readonly full: string;
  readonly kind: 'file' | 'link' | 'dir' | 'other';
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * Directory hashes cached per path and per (name, size, mtime) of every entry. The directory's
 * own mtime is not enough: editing a test file in place leaves it unchanged. A stat walk is
 * cheap next to reading every file for every result at exam peaks.
 */
export class SuiteCache {
  readonly #byPath = new Map<string, { fingerprint: string; hash: string }>();

  async hashDirectory(dir: string): Promise<string> {
    const entries = await listEntries(dir);
    const fingerprint = sha256(JSON.stringify(entries.map((e) => [e.rel, e.kind, e.size, e.mtimeMs])));
    const cached = this.#byPath.get(dir);
    if (cached?.fingerprint === fingerprint) return cached.hash;
    const hash = await hashEntries(entries);
    this.#byPath.set(dir, { fingerprint, hash });
    return hash;
  }
}

const defaultCache = new SuiteCache();

async function listEntries(dir: string): Promise<Entry[]> {
  let names: string[];
  try {
    names = await readdir(dir, { recursive: true });
  } catch (error) {
    // Permanent: the result goes to the dead-letter topic with this message, and can be
    // re-driven once the hidden tests are mounted where the course file says.
    throw new AppError('SUITE_UNREADABLE', `hidden tests directory ${dir} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  const entries: Entry[] = [];
  // Sorted by code units, not locale: the same files give the same hash on every machine.
  for (const rel of names.map((n) => n.split(path.sep).join('/')).sort()) {
    const full = path.join(dir, rel);
    const stat = await lstat(full);
    // Sockets and FIFOs count by name only: reading a FIFO would block the handler.
    const kind = stat.isFile() ? 'file' : stat.isSymbolicLink() ? 'link' : stat.isDirectory() ? 'dir' : 'other';
    entries.push({ rel, full, kind, size: stat.size, mtimeMs: stat.mtimeMs });
  }
  return entries;
}

async function hashEntries(entries: readonly Entry[]): Promise<string> {
  const hash = createHash('sha256');
  for (const entry of entries) {
    hash.update(`${entry.kind}\u0000${entry.rel}\u0000`);
    // A link is hashed as its target text, never followed: it could point outside the suite.
    if (entry.kind === 'file') hash.update(await readFile(entry.full));
    if (entry.kind === 'link') hash.update(await readlink(entry.full));
    hash.update('\u0000');
  }
  return hash.digest('hex');
}
