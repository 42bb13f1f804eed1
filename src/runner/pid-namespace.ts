// Holds a sandbox's pid namespace open so that "the processes in pid:[N]" keeps meaning ours.
// The kernel hands a freed namespace's number to the next namespace made, often within a
// couple of runs: a sweep for pid:[N] after one run ended found the next run's pid 1 under
// the same number and SIGKILLed it (that run failed with exit 137; 14 of 1,500 runs, 3 at
// once on a loaded machine, before this). An open handle keeps the namespace, and its number.
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { AppError } from '../errors/index.ts';
import { pidsInNamespace } from './proc-tree.ts';

export class PinnedNamespace {
  readonly inode: number;
  readonly #handle: FileHandle;

  private constructor(inode: number, handle: FileHandle) {
    this.inode = inode;
    this.#handle = handle;
  }

  /** Opens pid's pid namespace if it is still the one numbered inode; null when pid is gone
   * (or is already another process: the number is compared, so a recycled pid never counts). */
  static async open(pid: number, inode: number): Promise<PinnedNamespace | null> {
    const handle = await open(`/proc/${pid}/ns/pid`, 'r').catch(() => null);
    if (handle === null) return null;
    const actual = await handle.stat().then((stat) => stat.ino, () => null);
    if (actual === inode) return new PinnedNamespace(inode, handle);
    await handle.close();
    return null;
  }

  /** Kills and waits out anything still in the namespace; in practice the kernel already has
   * (when pid 1 dies it kills the rest and waits for them). Zombies are dead and not counted. */
  async sweep(): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const pids = await pidsInNamespace(this.inode);
      if (pids.length === 0) return;
      for (const pid of pids) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      }
      await delay(10);
    }
    throw new AppError('CHECK_INFRA', `sandbox processes survived in pid namespace ${this.inode}`, { retryable: true });
  }

  release(): Promise<void> {
    return this.#handle.close().catch(() => undefined);
  }
}
