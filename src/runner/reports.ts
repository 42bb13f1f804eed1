// Collects the JUnit report(s) matching the check's glob after the sandbox has ended. The
// student controlled the work dir, so: no symlinks followed (a link to /etc/shadow or to a
// FIFO must not be read by root), bounded walk, bounded file sizes.
import { constants } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunnerLimits } from './types.ts';

export interface FoundReport {
  /** Path relative to the work dir, '/'-separated. */
  readonly path: string;
  readonly text: string;
}

export interface CollectedReports {
  readonly reports: FoundReport[];
  /** Why a matching file was not taken (too large, not a regular file, ...). */
  readonly problems: string[];
}

type Limits = Pick<RunnerLimits, 'maxReports' | 'maxReportBytes' | 'maxScanEntries'>;

/** Relative paths of regular files (never through symlinks) matching the glob, sorted. */
async function matchingFiles(root: string, pattern: string, limits: Limits, problems: string[]): Promise<string[]> {
  const found: string[] = [];
  const pending: string[] = [''];
  let seen = 0;
  for (let dir = pending.shift(); dir !== undefined; dir = pending.shift()) {
    const entries = await readdir(path.join(root, dir), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (++seen > limits.maxScanEntries) {
        problems.push(`stopped looking for reports after ${limits.maxScanEntries} directory entries`);
        return found.sort();
      }
      const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory() && rel !== '.git') pending.push(rel);
      else if (!entry.isDirectory() && path.matchesGlob(rel, pattern)) found.push(rel);
    }
  }
  return found.sort();
}

async function readReport(root: string, rel: string, maxBytes: number): Promise<string> {
  // O_NOFOLLOW refuses a symlink in the last component (the walk never entered a symlinked
  // directory); O_NONBLOCK keeps a FIFO from blocking the open.
  const handle = await open(path.join(root, rel), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error('not a regular file');
    if (stat.size > maxBytes) throw new Error(`larger than ${maxBytes} bytes`);
    const buffer = Buffer.alloc(stat.size);
    const { bytesRead } = await handle.read(buffer, 0, stat.size, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

export async function collectReports(root: string, pattern: string, limits: Limits): Promise<CollectedReports> {
  const problems: string[] = [];
  const files = await matchingFiles(root, pattern.replace(/^\.\//, ''), limits, problems);
  if (files.length > limits.maxReports) {
    problems.push(`${files.length} reports matched; only the first ${limits.maxReports} were read`);
  }
  const reports: FoundReport[] = [];
  for (const rel of files.slice(0, limits.maxReports)) {
    try {
      reports.push({ path: rel, text: await readReport(root, rel, limits.maxReportBytes) });
    } catch (error) {
      problems.push(`report ${rel} ignored: ${(error as Error).message}`);
    }
  }
  return { reports, problems };
}
