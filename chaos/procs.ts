// The system under test as real processes: `gradeflow gateway` and one `gradeflow worker
// <group>` per consumer group, each in a process group of its own (so a SIGKILL takes its git
// and sandbox children along), output kept in a log file and a tail for error messages.
// A process that dies without being told to is started again after a second, as Kubernetes
// or systemd would; every such crash is counted and reported, never hidden.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { SERVICE_NODE_FLAGS } from '../src/cli/node-flags.ts';
import { CLI, PROJECT_ROOT } from '../test/support/process.ts';
import { waitFor } from '../test/support/wait.ts';
import { killGroup, trackGroup, untrackGroup } from './cleanup.ts';

const TAIL_CHARS = 6000;

export interface ProcSpec {
  readonly name: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly port: number;
}

export interface Crash {
  readonly name: string;
  readonly at: number;
  readonly exit: string;
  readonly tail: string;
}

class Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<string>;
  #tail = '';
  #done = false;

  constructor(spec: ProcSpec, log: WriteStream) {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...spec.env, PORT: String(spec.port) };
    this.child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, CLI, ...spec.args], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const pid = this.child.pid;
    if (pid !== undefined) trackGroup(pid);
    const collect = (chunk: Buffer) => {
      log.write(chunk);
      this.#tail = (this.#tail + chunk.toString('utf8')).slice(-TAIL_CHARS);
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = once(this.child, 'close').then(([code, signal]) => {
      this.#done = true;
      if (pid !== undefined) untrackGroup(pid);
      return signal === null ? `exit code ${String(code)}` : `signal ${String(signal)}`;
    });
  }

  get running(): boolean {
    return !this.#done;
  }

  tail(): string {
    return this.#tail;
  }
}

interface Slot {
  readonly spec: ProcSpec;
  proc: Proc;
  /** Set while we kill or stop it on purpose: its exit is no crash. */
  expectedExit: boolean;
}

export class System {
  readonly crashes: Crash[] = [];
  readonly #slots = new Map<string, Slot>();
  readonly #logDir: string;
  readonly #say: (line: string) => void;
  #stopping = false;

  constructor(logDir: string, say: (line: string) => void) {
    this.#logDir = logDir;
    this.#say = say;
  }

  names(): string[] {
    return [...this.#slots.keys()];
  }

  url(name: string): string {
    return `http://127.0.0.1:${this.#slot(name).spec.port}`;
  }

  /** Starts every process at once and waits until each answers /healthz. */
  async startAll(specs: readonly ProcSpec[], timeoutMs: number): Promise<void> {
    for (const spec of specs) this.#start(spec);
    await Promise.all(specs.map((spec) => this.waitHealthy(spec.name, timeoutMs)));
  }

  /** SIGKILLs the process group of `name` and resolves once the process is gone. */
  async kill(name: string): Promise<void> {
    const slot = this.#slot(name);
    slot.expectedExit = true;
    const pid = slot.proc.child.pid;
    if (pid !== undefined) killGroup(pid, 'SIGKILL');
    await slot.proc.exited;
  }

  /** Starts `name` again (after kill()) and waits until it is healthy. */
  async restart(name: string, timeoutMs = 60_000): Promise<void> {
    const slot = this.#slot(name);
    if (slot.proc.running) return;
    this.#start(slot.spec);
    await this.waitHealthy(name, timeoutMs);
  }

  async waitHealthy(name: string, timeoutMs: number): Promise<void> {
    const url = `${this.url(name)}/healthz`;
    await waitFor(`${name} healthy`, async () => {
      const slot = this.#slot(name);
      if (!slot.proc.running && slot.expectedExit) throw new Error(`${name} is not running`);
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => null);
      return response?.status === 200;
    }, { timeoutMs, intervalMs: 200 }).catch((error: Error) => {
      throw new Error(`${error.message}; ${name} printed:\n${this.#slot(name).proc.tail().slice(-3000)}`);
    });
  }

  /** Every process still running, started again if it is not (used after a failed scenario). */
  async ensureRunning(timeoutMs = 60_000): Promise<void> {
    await Promise.all(this.names().map((name) => this.restart(name, timeoutMs)));
  }

  /** SIGTERM everything (orderly shutdown), SIGKILL what is left after timeoutMs. */
  async stopAll(timeoutMs = 15_000): Promise<void> {
    this.#stopping = true;
    await Promise.all([...this.#slots.values()].map(async (slot) => {
      slot.expectedExit = true;
      const pid = slot.proc.child.pid;
      if (!slot.proc.running || pid === undefined) return;
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), timeoutMs);
      await slot.proc.exited;
      clearTimeout(timer);
    }));
  }

  #start(spec: ProcSpec): void {
    const log = createWriteStream(path.join(this.#logDir, `${spec.name}.log`), { flags: 'a' });
    log.write(`\n===== ${new Date().toISOString()} start ${spec.args.join(' ')} =====\n`);
    const proc = new Proc(spec, log);
    const existing = this.#slots.get(spec.name);
    const slot: Slot = existing ?? { spec, proc, expectedExit: false };
    slot.proc = proc;
    slot.expectedExit = false;
    this.#slots.set(spec.name, slot);
    void proc.exited.then(async (exit) => {
      log.end();
      if (slot.proc !== proc || slot.expectedExit || this.#stopping) return;
      this.crashes.push({ name: spec.name, at: Date.now(), exit, tail: proc.tail().slice(-2000) });
      this.#say(`!! ${spec.name} died on its own (${exit}); starting it again`);
      await delay(1_000);
      if (slot.proc === proc && !this.#stopping) this.#start(spec);
    });
  }

  #slot(name: string): Slot {
    const slot = this.#slots.get(name);
    if (slot === undefined) throw new Error(`no process ${name}`);
    return slot;
  }
}
