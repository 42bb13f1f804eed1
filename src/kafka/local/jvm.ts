// Spawns a Kafka JVM so that it cannot outlive us:
// - through `setpriv --pdeathsig SIGTERM`, the kernel sends the JVM SIGTERM when its parent
//   (this Node process) dies, even by SIGKILL;
// - a process 'exit' handler SIGKILLs JVMs that are still running as a last resort.
// The last lines the JVM printed (stdout and stderr) are kept for error messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export interface JvmSpec {
  readonly libDir: string;
  readonly mainClass: string;
  readonly args: readonly string[];
  readonly heapMb: number;
  readonly cwd: string;
  /** Extra -D system properties. */
  readonly systemProperties?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

export interface JvmExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be spawned at all. */
  readonly error?: Error;
}

const TAIL_LINES = 40;
const STACK_FRAME = /^\s+(at |\.\.\. \d+ (more|common frames omitted))/;
const live = new Set<ChildProcess>();
let exitHandlerInstalled = false;
let setprivPath: string | null | undefined;
let warnedNoSetpriv = false;

function findSetpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  const dirs = ['/usr/bin', '/bin', ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean)];
  setprivPath = null;
  for (const dir of dirs) {
    try {
      accessSync(path.join(dir, 'setpriv'), constants.X_OK);
      setprivPath = path.join(dir, 'setpriv');
      break;
    } catch {
      // not here
    }
  }
  return setprivPath;
}

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

export function javaArgs(spec: JvmSpec): string[] {
  const props = Object.entries(spec.systemProperties ?? {}).map(([key, value]) => `-D${key}=${value}`);
  return [
    `-Xmx${spec.heapMb}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    ...props,
    '-cp',
    path.join(spec.libDir, '*'),
    spec.mainClass,
    ...spec.args,
  ];
}

/** A running (or exited) JVM child process. */
export class Jvm {
  readonly pid: number;
  readonly exited: Promise<JvmExit>;
  #child: ChildProcess;
  #tail: string[] = [];
  #partial = '';
  #exit: JvmExit | undefined;

  constructor(spec: JvmSpec) {
    const setpriv = findSetpriv();
    if (setpriv === null && !warnedNoSetpriv) {
      warnedNoSetpriv = true;
      const warn = spec.log ?? ((line: string) => process.emitWarning(line));
      warn('setpriv not found: a Kafka JVM may outlive this process if it is killed (install util-linux)');
    }
    const java = javaArgs(spec);
    const [command, args] =
      setpriv === null ? ['java', java] : [setpriv, ['--pdeathsig', 'SIGTERM', '--', 'java', ...java]];
    this.#child = spawn(command, args, { cwd: spec.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.pid = this.#child.pid ?? -1;
    this.#child.stdout?.on('data', (chunk: Buffer) => this.#collect(chunk));
    this.#child.stderr?.on('data', (chunk: Buffer) => this.#collect(chunk));
    this.exited = this.#watchExit();
    if (this.#child.pid !== undefined) {
      live.add(this.#child);
      installExitHandler();
    }
  }

  async #watchExit(): Promise<JvmExit> {
    const exit = await new Promise<JvmExit>((resolve) => {
      this.#child.once('error', (error) => resolve({ code: null, signal: null, error }));
      this.#child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    live.delete(this.#child);
    this.#exit = exit;
    return exit;
  }

  #collect(chunk: Buffer): void {
    const lines = (this.#partial + chunk.toString('utf8')).split(/\r?\n/);
    this.#partial = lines.pop() ?? '';
    // Stack frames would crowd the messages out of the tail; exception lines are kept.
    for (const line of lines) if (line.trim() !== '' && !STACK_FRAME.test(line)) this.#tail.push(line);
    if (this.#tail.length > TAIL_LINES) this.#tail.splice(0, this.#tail.length - TAIL_LINES);
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  get exitInfo(): JvmExit | undefined {
    return this.#exit;
  }

  /** The last lines the JVM wrote to stdout/stderr. */
  outputTail(): string {
    return [...this.#tail, this.#partial].filter((line) => line.trim() !== '').join('\n');
  }

  /** Sends a signal and waits until the process has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<JvmExit> {
    if (this.running) this.#child.kill(signal);
    return this.exited;
  }

  /** SIGTERM (Kafka's controlled shutdown), then SIGKILL if it has not exited within timeoutMs. */
  async stop(timeoutMs: number): Promise<JvmExit> {
    if (!this.running) return this.exited;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

export function describeExit(exit: JvmExit): string {
  if (exit.error !== undefined) return `could not be started (${exit.error.message})`;
  return exit.signal === null ? `exited with code ${exit.code}` : `was killed by ${exit.signal}`;
}
