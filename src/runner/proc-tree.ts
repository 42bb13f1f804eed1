// Observes a process tree through /proc. Used for the memory and task limits (no writable
// cgroup here) and to prove that a sandbox left nothing behind.
import { readFile, readdir, readlink } from 'node:fs/promises';

export interface TreeSample {
  readonly pids: number[];
  /** Tasks = threads, which is what RLIMIT_NPROC counts. */
  readonly tasks: number;
  /** Sum of RssAnon + RssShmem: private memory. File-backed pages (the node binary, shared
   * libraries) are left out because they are shared and reclaimable, not the student's. */
  readonly memoryBytes: number;
}

async function numericEntries(): Promise<number[]> {
  const names = await readdir('/proc');
  return names.filter((n) => /^\d+$/.test(n)).map(Number);
}

async function privateMemory(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  let kb = 0;
  for (const match of text.matchAll(/^(?:RssAnon|RssShmem):\s+(\d+) kB$/gm)) kb += Number(match[1]);
  return kb * 1024;
}

/** A process's threads (its task ids) and the children each thread started; null once gone. */
async function readTasks(pid: number): Promise<{ threads: number; children: number[] } | null> {
  const tids = await readdir(`/proc/${pid}/task`).catch(() => null);
  if (tids === null) return null;
  const lists = await Promise.all(tids.map((tid) => readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '')));
  const children = lists.flatMap((text) => text.split(' ').filter((word) => word !== '').map(Number));
  return { threads: tids.length, children };
}

/**
 * Walks the tree below rootPid through /proc/<pid>/task/<tid>/children, level by level, so a
 * sample reads only the sandbox's own few processes: reading the stat of every process on the
 * machine, 20 times a second per running check, cost check-runners as much CPU as the checks.
 * A child forked during the walk may be missed by one sample and is seen by the next.
 */
export async function sampleTree(rootPid: number): Promise<TreeSample> {
  const members: number[] = [];
  let tasks = 0;
  let level = [rootPid];
  while (level.length > 0) {
    const read = await Promise.all(level.map(readTasks));
    const next: number[] = [];
    level.forEach((pid, i) => {
      const entry = read[i];
      if (entry === null || entry === undefined) return;
      members.push(pid);
      tasks += entry.threads;
      next.push(...entry.children);
    });
    level = next;
  }
  const memory = await Promise.all(members.map(privateMemory));
  return { pids: members, tasks, memoryBytes: memory.reduce((a, b) => a + b, 0) };
}

async function isZombie(pid: number): Promise<boolean> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return text === null || text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3) === 'Z';
}

/** Live (non-zombie) processes whose pid namespace has this inode (from bwrap's json status).
 * Zombies are dead: nothing runs, only their parent can make them go away. */
export async function pidsInNamespace(nsInode: number): Promise<number[]> {
  const pids = await numericEntries();
  const wanted = `pid:[${nsInode}]`;
  const links = await Promise.all(pids.map((pid) => readlink(`/proc/${pid}/ns/pid`).catch(() => '')));
  const members = pids.filter((_, i) => links[i] === wanted);
  const zombie = await Promise.all(members.map(isZombie));
  return members.filter((_, i) => !zombie[i]);
}

/** Processes (zombies included) whose real uid is uid: tests use it to show nothing survived. */
export async function pidsOfUid(uid: number): Promise<number[]> {
  const pids = await numericEntries();
  const statuses = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')));
  return pids.filter((_, i) => new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(statuses[i] ?? ''));
}
