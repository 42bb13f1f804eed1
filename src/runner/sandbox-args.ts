// The command line that starts a check inside bubblewrap, outermost first:
//   choom      oom_score_adj 1000: if the host runs out of memory, the kernel kills students first
//   setpriv    drop root for the sandbox uid/gid, no supplementary groups, no_new_privs
//   prlimit    RLIMIT_NPROC (fork bombs), RLIMIT_FSIZE (disk), RLIMIT_CORE 0
//   bwrap      namespaces (user, pid, net, ipc, uts, cgroup), read-only system, private /work
// bwrap then runs unprivileged inside its own user namespace, which maps the sandbox uid
// to itself: the student never holds root or capabilities, on the host or inside.
import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { RunnerLimits } from './types.ts';

/** Where the workspace and the Node binary appear inside the sandbox. */
export const SANDBOX_WORKDIR = '/work';
export const SANDBOX_NODE_DIR = '/opt/node/bin';
/** Inherited pipe on which the sandbox says it is up (see the end of bwrapArgs). */
export const READY_FD = 4;

const TOP_LEVEL_SYSTEM_DIRS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
// ld.so.cache is needed to find Debian's multiarch libraries; alternatives because many
// /usr/bin names are links through it; passwd/group so `id` and friends print names.
const ETC_FILES = [
  '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/alternatives',
  '/etc/passwd', '/etc/group', '/etc/nsswitch.conf', '/etc/localtime',
];

export interface SandboxArgsInput {
  readonly workDir: string;
  readonly command: string;
  readonly limits: RunnerLimits;
  /** Directory of the Node binary exposed as `node` (default: the one running us). */
  readonly nodeDir?: string;
}

/** Merged-/usr systems have /bin -> usr/bin: mirror links as links, bind real dirs read-only. */
function systemMounts(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const dir of TOP_LEVEL_SYSTEM_DIRS) {
    const stat = (() => { try { return lstatSync(dir); } catch { return null; } })();
    if (stat === null) continue;
    if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(dir), dir);
    else if (stat.isDirectory()) args.push('--ro-bind', dir, dir);
  }
  for (const file of ETC_FILES) args.push('--ro-bind-try', file, file);
  return args;
}

function bwrapArgs(input: SandboxArgsInput): string[] {
  const { limits } = input;
  const tmpfsSize = String(limits.tmpfsBytes);
  return [
    'bwrap',
    '--unshare-user', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    '--hostname', 'sandbox',
    // --as-pid-1: the command itself is pid 1, so the outer bwrap reaps it. With bwrap's own
    // init, that init outlives the outer bwrap and is left as a zombie for the host's pid 1,
    // which in a container may never reap it (and zombies count against RLIMIT_NPROC).
    '--die-with-parent', '--new-session', '--disable-userns', '--as-pid-1',
    '--clearenv',
    '--setenv', 'PATH', `${SANDBOX_NODE_DIR}:/usr/local/bin:/usr/bin:/bin`,
    '--setenv', 'HOME', '/tmp', '--setenv', 'TMPDIR', '/tmp', '--setenv', 'LANG', 'C.UTF-8',
    ...systemMounts(),
    '--ro-bind', input.nodeDir ?? path.dirname(process.execPath), SANDBOX_NODE_DIR,
    '--bind', input.workDir, SANDBOX_WORKDIR,
    '--size', tmpfsSize, '--tmpfs', '/tmp',
    '--proc', '/proc',
    // --dev gives null/zero/random/tty...; its tmpfs would be an unbounded, uncounted
    // memory sink, so /dev is made read-only and /dev/shm is a bounded tmpfs.
    '--dev', '/dev', '--size', tmpfsSize, '--tmpfs', '/dev/shm', '--remount-ro', '/dev',
    '--remount-ro', '/',
    '--chdir', SANDBOX_WORKDIR,
    '--json-status-fd', '3',
    // bwrap reports its child's pid before setting up the mounts, so that is no proof that
    // the sandbox works. The wrapper writes to fd 4 once inside, closes it and only then runs
    // the command: no byte on fd 4 = bwrap failed (host problem), whatever the output says.
    '--', '/bin/sh', '-c', `printf up >&${READY_FD} && exec ${READY_FD}>&- && exec /bin/sh -c "$1"`, 'sh', input.command,
  ];
}

export function sandboxArgv(input: SandboxArgsInput): string[] {
  const { limits } = input;
  return [
    'choom', '-n', '1000', '--',
    'setpriv', `--reuid=${limits.sandboxUid}`, `--regid=${limits.sandboxGid}`, '--clear-groups', '--no-new-privs', '--',
    'prlimit', `--nproc=${limits.maxProcesses}`, `--fsize=${limits.maxFileBytes}`, '--core=0', '--',
    ...bwrapArgs(input),
  ];
}
