// The per-run work directory on the host: created private, filled by git and the hidden
// tests (as root), then handed to the sandbox uid. Nothing here follows a symlink, because
// the student's checkout decides which names are symlinks.
import { copyFile, lchown, lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

export async function createWorkDir(workRoot: string): Promise<string> {
  // Traverse-only for others: the sandbox uid must reach run-*/ by path (bwrap binds by
  // path as that uid), but must not list other runs.
  await mkdir(workRoot, { recursive: true, mode: 0o711 });
  // mkdtemp gives mode 0700: other host users cannot read the student's code or the tests.
  return mkdtemp(path.join(workRoot, 'run-'));
}

export async function removeWorkDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * Copies the contents of testsDir over dir. A student entry in the way (file, directory or
 * symlink) is deleted first, so the copy can neither be redirected through a student
 * symlink (e.g. `tests -> /etc`) nor merged with a student file of the same name.
 */
export async function overlayTests(testsDir: string, dir: string): Promise<void> {
  const entries = await readdir(testsDir, { withFileTypes: true });
  for (const entry of entries) {
    const from = path.join(testsDir, entry.name);
    const to = path.join(dir, entry.name);
    const existing = await lstat(to).catch(() => null);
    if (entry.isDirectory()) {
      if (existing !== null && !(existing.isDirectory() && !existing.isSymbolicLink())) {
        await rm(to, { recursive: true, force: true });
      }
      await mkdir(to, { recursive: true });
      await overlayTests(from, to);
    } else if (entry.isFile()) {
      if (existing !== null) await rm(to, { recursive: true, force: true });
      await copyFile(from, to);
    }
    // Symlinks and special files in the tests directory are skipped: course authors write
    // plain files, and a link would point into the host tree.
  }
}

/** chown -R without following symlinks, so that the sandbox uid may write its workspace.
 * A directory's files are changed all at once (a check waits for this, one thread-pool round
 * trip each); its subdirectories one after another, so a deep tree holds one directory open. */
export async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await lchown(dir, uid, gid);
  const entries = await readdir(dir, { withFileTypes: true });
  await Promise.all(entries.filter((e) => !e.isDirectory()).map((e) => lchown(path.join(dir, e.name), uid, gid)));
  for (const entry of entries) {
    if (entry.isDirectory()) await chownTree(path.join(dir, entry.name), uid, gid);
  }
}
