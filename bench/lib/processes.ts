// Child processes of the bench: the real `gradeflow` commands (gateway, workers) and the
// bench's own helpers (load generator, consumer, pusher), all on the Node that runs the bench.
// Output goes straight to a log file, so the bench process spends no CPU reading it.
import { spawn } from 'node:child_process';
import type { ChildProcess, Serializable } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { SERVICE_NODE_FLAGS } from '../../src/cli/node-flags.ts';
import { PROJECT_ROOT } from './infra.ts';

const CLI = path.join(PROJECT_ROOT, 'src', 'cli', 'main.ts');

export interface Running {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Exit code or signal name, once exited. */
  readonly exited: Promise<number | string>;
  tail(chars?: number): string;
  stop(timeoutMs?: number): Promise<number | string>;
}

export interface SpawnOptions {
  readonly name: string;
  readonly script: string;
  readonly args?: readonly string[];
  readonly env?: Record<string, string>;
  readonly logDir: string;
  /** Extra node flags, e.g. --cpu-prof. */
  readonly execArgv?: readonly string[];
  /** An IPC channel to the child (bench helpers report through it). */
  readonly ipc?: boolean;
}

/** Every child still running, so that an interrupted bench leaves none behind. */
const live = new Set<ChildProcess>();

/** SIGKILLs every child still running (the bench was interrupted: no clean stop is owed). */
export function killAllChildren(): number {
  for (const child of live) child.kill('SIGKILL');
  return live.size;
}

/** Counts `child` among the children an interrupted bench kills. */
export function track<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function spawnNode(options: SpawnOptions): Running {
  const logFile = path.join(options.logDir, `${options.name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...(options.execArgv ?? []), options.script, ...(options.args ?? [])], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...options.env },
    stdio: options.ipc === true ? ['ignore', fd, fd, 'ipc'] : ['ignore', fd, fd],
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${options.name} could not be started`);
  track(child);
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  const tail = (chars = 3000) => {
    try {
      return readFileSync(logFile, 'utf8').slice(-chars);
    } catch {
      return '';
    }
  };
  return {
    name: options.name, pid: child.pid, child, logFile, exited, tail,
    async stop(timeoutMs = 60_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Node flags that write a CPU profile named for the process into dir when it exits (none without a dir). */
export function cpuProfileFlags(dir: string | null, name: string): string[] {
  return dir === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`];
}

export function startGradeflow(name: string, args: readonly string[], env: Record<string, string>, logDir: string, cpuProfDir: string | null): Running {
  const execArgv = [...SERVICE_NODE_FLAGS, ...cpuProfileFlags(cpuProfDir, name)];
  return spawnNode({ name, script: CLI, args, env, logDir, execArgv });
}

/** Waits until GET url answers 200; fails at once if the process exits first. */
export async function waitHealthy(process: Running, url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | string | null = null;
  void process.exited.then((code) => (exited = code));
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`${process.name} exited with ${exited} before it was healthy:\n${process.tail()}`);
    const status = await fetch(url).then((r) => r.status).catch(() => 0);
    if (status === 200) return;
    await delay(100);
  }
  throw new Error(`${process.name} was not healthy at ${url} after ${timeoutMs} ms:\n${process.tail()}`);
}

/** Runs a bench helper script that sends one JSON result over IPC and exits. */
export async function runHelper<T>(options: Omit<SpawnOptions, 'ipc'> & { input: unknown; timeoutMs: number; onStart?: (running: Running) => void }): Promise<T> {
  const running = spawnNode({ ...options, ipc: true });
  options.onStart?.(running);
  const result = new Promise<T>((resolve, reject) => {
    running.child.once('message', (message) => {
      const m = message as { ok: boolean; result?: T; error?: string };
      if (m.ok) resolve(m.result as T);
      else reject(new Error(`${options.name} failed: ${m.error}`));
    });
    void running.exited.then((code) => reject(new Error(`${options.name} exited with ${code} without a result:\n${running.tail()}`)));
  });
  running.child.send(options.input as Serializable);
  const timer = setTimeout(() => running.child.kill('SIGKILL'), options.timeoutMs);
  try {
    const value = await result;
    // The helper exits by itself once its result is sent; a SIGTERM at once would cut short what
    // it writes at exit (a --cpu-prof profile).
    await Promise.race([running.exited, delay(10_000, undefined, { ref: false })]);
    return value;
  } finally {
    clearTimeout(timer);
    await running.stop(10_000);
  }
}

/** The helper side of runHelper: receives the input, sends back the result or the error. */
export function helperMain<I, O>(work: (input: I) => Promise<O>): void {
  process.once('message', (input) => {
    work(input as I).then(
      (result) => process.send?.({ ok: true, result }, undefined, undefined, () => process.exit(0)),
      (error: unknown) => process.send?.({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, undefined, undefined, () => process.exit(1)),
    );
  });
}
