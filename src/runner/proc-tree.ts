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

/** [ppid, threads] from /proc/<pid>/stat; comm may contain spaces and ')', so split after the last ')'. */
async function readStat(pid: number): Promise<[number, number] | null> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (text === null) return null;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state) of proc(5): ppid is field 4, num_threads field 20.
  return [Number(fields[1]), Number(fields[17])];
}

async function privateMemory(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  let kb = 0;
  for (const match of text.matchAll(/^(?:RssAnon|RssShmem):\s+(\d+) kB$/gm)) kb += Number(match[1]);
  return kb * 1024;
}

export async function sampleTree(rootPid: number): Promise<TreeSample> {
  const pids = await numericEntries();
  const stats = await Promise.all(pids.map(async (pid) => [pid, await readStat(pid)] as const));
  const children = new Map<number, number[]>();
  const threads = new Map<number, number>();
  for (const [pid, stat] of stats) {
    if (stat === null) continue;
    threads.set(pid, stat[1]);
    const list = children.get(stat[0]) ?? [];
    list.push(pid);
    children.set(stat[0], list);
  }
  const members: number[] = [];
  const queue = threads.has(rootPid) ? [rootPid] : [];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    members.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  const memory = await Promise.all(members.map(privateMemory));
  return {
    pids: members,
    tasks: members.reduce((sum, pid) => sum + (threads.get(pid) ?? 0), 0),
    memoryBytes: memory.reduce((a, b) => a + b, 0),
  };
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
