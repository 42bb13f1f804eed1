// Runs `gradeflow` as a real child process (Node 24 from this test run), collects its output,
// and makes sure it is gone when the test ends.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { SERVICE_NODE_FLAGS } from '../../src/cli/node-flags.ts';
import { waitFor } from './wait.ts';

export const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RunningProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has exited and its output is read. */
  readonly exited: Promise<number | string>;
  output(): string;
  /** Waits until GET <url>/healthz answers 200 (fails at once if the process exits). */
  waitForHealthy(baseUrl: string, timeoutMs?: number): Promise<void>;
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Sends the signal and resolves with the exit code (or signal name) once it has exited. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

export function startGradeflow(args: string[], env: Record<string, string | undefined>): RunningProcess {
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, CLI, ...args], { cwd: PROJECT_ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  // 'close' (not 'exit') so that everything the process wrote has been read.
  const exited = once(child, 'close').then(([code, signal]) => (code ?? signal) as number | string);
  let exitedWith: number | string | null = null;
  void exited.then((code) => (exitedWith = code));
  return {
    child,
    exited,
    output: () => output,
    waitForHealthy: async (baseUrl, timeoutMs = 120_000) => {
      const state = await waitFor(`${baseUrl}/healthz`, async () => {
        if (exitedWith !== null) return 'exited';
        const response = await fetch(`${baseUrl}/healthz`).catch(() => null);
        return response?.status === 200 && 'healthy';
      }, { timeoutMs, intervalMs: 100 }).catch((error: Error) => {
        throw new Error(`${error.message}; the process printed:\n${output.slice(-4000)}`);
      });
      if (state === 'exited') throw new Error(`process exited with ${exitedWith} before it was healthy:\n${output.slice(-4000)}`);
    },
    waitForOutput: async (text, timeoutMs = 120_000) => {
      const seen = await waitFor(`output ${String(text)}`, () => {
        if (exitedWith !== null) return 'exited';
        return (typeof text === 'string' ? output.includes(text) : text.test(output)) && 'seen';
      }, { timeoutMs, intervalMs: 100 }).catch((error: Error) => {
        throw new Error(`${error.message}; the process printed:\n${output.slice(-4000)}`);
      });
      if (seen === 'exited') throw new Error(`process exited with ${exitedWith} before printing ${String(text)}:\n${output.slice(-4000)}`);
    },
    stop: async (signal = 'SIGTERM', timeoutMs = 60_000) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Runs gradeflow to completion (for commands that are expected to exit). */
export async function runGradeflow(args: string[], env: Record<string, string | undefined>, timeoutMs = 60_000): Promise<{ code: number | string; output: string }> {
  const running = startGradeflow(args, env);
  const timer = setTimeout(() => running.child.kill('SIGKILL'), timeoutMs);
  const code = await running.exited;
  clearTimeout(timer);
  return { code, output: running.output() };
}
