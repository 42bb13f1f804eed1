// Runs one command in the sandbox and enforces the limits that the kernel does not:
// wall time (timer), memory and task count (sampling the process tree), output size
// (counting the pipes). Every limit kills the same way: SIGKILL to the sandbox's pid 1,
// whose death makes the kernel kill everything else in its pid namespace; the outer bwrap
// then reaps it and exits. Should our process die instead, --die-with-parent does the same.
// A final sweep of the namespace proves that nothing is left; it runs only while we hold the
// namespace open (pid-namespace.ts), because namespace numbers are reused.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { AppError } from '../errors/index.ts';
import { BoundedOutput } from './output.ts';
import { PinnedNamespace } from './pid-namespace.ts';
import { sampleTree } from './proc-tree.ts';
import { READY_FD, sandboxArgv } from './sandbox-args.ts';
import type { LimitVerdict, RunnerLimits } from './types.ts';

export interface SandboxSpec {
  readonly workDir: string;
  readonly command: string;
  readonly timeoutMs: number;
  readonly memoryBytes: number;
  readonly limits: RunnerLimits;
}

export interface SandboxResult {
  /** Exit code of the command (bwrap passes it through); null when killed by a signal. */
  readonly exitCode: number | null;
  /** Signal that ended bwrap itself; with killedFor null this was not us (OOM killer, operator). */
  readonly signal: NodeJS.Signals | null;
  readonly killedFor: LimitVerdict | null;
  readonly durationMs: number;
  readonly output: BoundedOutput;
}

interface SandboxStatus {
  childPid: number | null;
  pidNamespace: number | null;
  /** The namespace held open from the moment bwrap names it; null if pid 1 was already gone. */
  pin: Promise<PinnedNamespace | null> | null;
}

function infra(message: string, cause?: unknown): AppError {
  return new AppError('CHECK_INFRA', message, { retryable: true, cause });
}

/** bwrap writes JSON documents to fd 3; the first names the sandbox's pid 1 and pid namespace.
 * It is written before the mounts are set up, so it is no proof of a working sandbox (READY_FD is). */
function readStatus(stream: Readable): SandboxStatus {
  const status: SandboxStatus = { childPid: null, pidNamespace: null, pin: null };
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    if (text.length > 65536) return;
    text += chunk.toString('utf8');
    status.childPid ??= Number(/"child-pid":\s*(\d+)/.exec(text)?.[1] ?? NaN) || null;
    status.pidNamespace ??= Number(/"pid-namespace":\s*(\d+)/.exec(text)?.[1] ?? NaN) || null;
    if (status.pin === null && status.childPid !== null && status.pidNamespace !== null) {
      status.pin = PinnedNamespace.open(status.childPid, status.pidNamespace);
    }
  });
  return status;
}

/**
 * Kills the sandbox's pid 1, which takes the whole pid namespace with it, and lets the outer
 * bwrap reap it: killing the outer bwrap first would orphan pid 1 to the host's init as a
 * zombie. The pid is re-checked against the namespace so a recycled pid is never hit.
 */
async function killSandbox(status: SandboxStatus, outer: ChildProcess): Promise<void> {
  const { childPid, pidNamespace } = status;
  const link = childPid === null ? '' : await readlink(`/proc/${childPid}/ns/pid`).catch(() => '');
  if (childPid !== null && link === `pid:[${pidNamespace}]`) {
    try { process.kill(childPid, 'SIGKILL'); } catch { /* already gone */ }
    // Backstop: should the outer bwrap not exit on its own, take it down too.
    setTimeout(() => outer.kill('SIGKILL'), 2000).unref();
  } else {
    outer.kill('SIGKILL');
  }
}

/** Samples until `stop` aborts (the sandbox exited); the abort also cuts the pause short. */
async function monitor(pid: number, spec: SandboxSpec, stop: AbortSignal, kill: (why: LimitVerdict) => void): Promise<void> {
  while (!stop.aborted) {
    const sample = await sampleTree(pid);
    // Reaching RLIMIT_NPROC means the kernel is refusing forks: the run is stuck or broken.
    if (sample.tasks >= spec.limits.maxProcesses) kill('process-limit');
    else if (sample.memoryBytes > spec.memoryBytes) kill('memory-limit');
    await delay(spec.limits.pollIntervalMs, undefined, { signal: stop }).catch(() => undefined);
  }
}

/** One sandbox process and the watchers around it; every limit funnels into kill(). */
class SandboxRun {
  readonly started = performance.now();
  readonly output: BoundedOutput;
  readonly child: ChildProcess;
  readonly status: SandboxStatus;
  readonly stopMonitor = new AbortController();
  killedFor: LimitVerdict | null = null;
  monitorError: unknown = null;
  exited = false;
  /** The command started inside a working sandbox (see READY_FD). */
  ready = false;

  constructor(spec: SandboxSpec) {
    const argv = sandboxArgv({ workDir: spec.workDir, command: spec.command, limits: spec.limits });
    this.output = new BoundedOutput(spec.limits.keptOutputBytes);
    this.child = spawn(argv[0] ?? 'choom', argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      detached: true,
    });
    this.status = readStatus(this.child.stdio[3] as Readable);
    (this.child.stdio[READY_FD] as Readable).once('data', () => { this.ready = true; });
    const onOutput = (chunk: Buffer): void => {
      this.output.push(chunk);
      if (this.output.total > spec.limits.maxOutputBytes) this.kill('output-limit');
    };
    this.child.stdout?.on('data', onOutput);
    this.child.stderr?.on('data', onOutput);
    this.child.once('exit', () => this.markExited());
  }

  kill(why: LimitVerdict): void {
    if (this.exited || this.killedFor !== null) return;
    this.killedFor = why;
    void killSandbox(this.status, this.child);
  }

  markExited(): void {
    this.exited = true;
    this.stopMonitor.abort();
  }

  /** If /proc cannot be read the limits cannot be enforced: stop the run, blame the host. */
  watch(spec: SandboxSpec): Promise<void> {
    if (this.child.pid === undefined) return Promise.resolve();
    return monitor(this.child.pid, spec, this.stopMonitor.signal, (why) => this.kill(why)).catch((error: unknown) => {
      this.monitorError = error;
      void killSandbox(this.status, this.child);
    });
  }

  /** Sweeps the namespace if we hold it. Not held means pid 1 was gone before we could open
   * it: the kernel had already emptied the namespace, and its number may be someone else's. */
  async sweep(): Promise<void> {
    await (await this.status.pin)?.sweep();
  }

  async releaseNamespace(): Promise<void> {
    await (await this.status.pin)?.release();
  }

  closed(): Promise<[number | null, NodeJS.Signals | null]> {
    return new Promise((resolve, reject) => {
      this.child.once('error', (error) => reject(infra(`sandbox could not be started: ${error.message}`, error)));
      this.child.once('close', (code, signal) => resolve([code, signal]));
    });
  }
}

export async function runInSandbox(spec: SandboxSpec): Promise<SandboxResult> {
  const run = new SandboxRun(spec);
  const closed = run.closed();
  const timer = setTimeout(() => run.kill('time-limit'), spec.timeoutMs);
  const watching = run.watch(spec);
  try {
    const [code, signal] = await closed;
    run.markExited();
    await watching;
    if (run.monitorError !== null) throw infra('sandbox monitoring failed', run.monitorError);
    if (!run.ready) {
      throw infra(`sandbox failed to start (exit ${code ?? signal}): ${run.output.text().trim().slice(0, 2000)}`);
    }
    await run.sweep();
    const exitCode = signal === null && run.killedFor === null ? code : null;
    return { exitCode, signal, killedFor: run.killedFor, durationMs: performance.now() - run.started, output: run.output };
  } finally {
    clearTimeout(timer);
    await run.releaseNamespace();
  }
}
