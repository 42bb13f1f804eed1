// Filesystem ArtifactStore: one file per key under a root directory. URIs are
// "artifacts/<encoded key>" rather than absolute paths so that the data directory can move
// and no host path leaks to the web layer.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors/index.ts';
import type { ArtifactStore } from './artifact-store.ts';

const URI_PREFIX = 'artifacts/';
const SAFE_CHAR = /[A-Za-z0-9._-]/;
const SAFE_SEGMENT = /^(?:[A-Za-z0-9._-]|%[0-9A-F]{2})+$/;

/** Percent-encodes everything but [A-Za-z0-9._-], so distinct keys never collide on disk. */
function encodeSegment(segment: string): string {
  let out = '';
  for (const byte of Buffer.from(segment, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += SAFE_CHAR.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function invalidKey(key: string, why: string): AppError {
  return new AppError('ARTIFACT_KEY_INVALID', `Invalid artifact key ${JSON.stringify(key)}: ${why}`);
}

/** "a/b c/d" -> "a/b%20c/d"; rejects empty, "." and ".." segments (no traversal, no aliasing). */
export function safeKeyPath(key: string): string {
  if (key.length === 0 || key.length > 1024) throw invalidKey(key, 'length must be 1..1024');
  const segments = key.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw invalidKey(key, 'empty, "." or ".." path segment');
    }
  }
  return segments.map(encodeSegment).join('/');
}

export class FsArtifactStore implements ArtifactStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  async put(key: string, data: Buffer | string): Promise<string> {
    const rel = safeKeyPath(key);
    const target = path.join(this.root, rel);
    await mkdir(path.dirname(target), { recursive: true });
    // Temp file in the same directory, fsync, rename: readers see the old or the new
    // content, never a torn file, even if the process dies mid-write.
    const temp = path.join(path.dirname(target), `.tmp-${randomBytes(8).toString('hex')}`);
    try {
      const handle = await open(temp, 'wx', 0o640);
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw new AppError('ARTIFACT_WRITE_FAILED', `Could not store artifact ${rel}`, { retryable: true, cause: error });
    }
    return URI_PREFIX + rel;
  }

  async get(uri: string): Promise<Buffer> {
    const file = this.pathOf(uri);
    try {
      return await readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new AppError('ARTIFACT_NOT_FOUND', `No artifact ${uri}`, { cause: error });
      }
      throw new AppError('ARTIFACT_READ_FAILED', `Could not read artifact ${uri}`, { retryable: true, cause: error });
    }
  }

  private pathOf(uri: string): string {
    const rel = uri.startsWith(URI_PREFIX) ? uri.slice(URI_PREFIX.length) : '';
    const segments = rel.split('/');
    // Only what put() can produce is accepted: this is the traversal guard for URIs that
    // come back from the outside (API parameters, rows).
    const ok = rel !== '' && segments.every((s) => SAFE_SEGMENT.test(s) && s !== '.' && s !== '..');
    if (!ok) throw new AppError('ARTIFACT_URI_INVALID', `Invalid artifact URI ${JSON.stringify(uri)}`);
    return path.join(this.root, ...segments);
  }
}
