// Runs `gradeflow` as a real child process (Node 24 from this test run), collects its output,
// and makes sure it is gone when the test ends.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.ts';

export const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RunningProcess {
  readonly child: ChildProcess;
  output(): string;
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Sends the signal and resolves with the exit code (or signal name) once it has exited. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

export function startGradeflow(args: string[], env: Record<string, string | undefined>): RunningProcess {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: PROJECT_ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  return {
    child,
    output: () => output,
    waitForOutput: async (text, timeoutMs = 120_000) => {
      await waitFor(`output ${String(text)}`, () => {
        if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode}:\n${output.slice(-4000)}`);
        return typeof text === 'string' ? output.includes(text) : text.test(output);
      }, { timeoutMs, intervalMs: 100 });
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
  const [code, signal] = (await once(running.child, 'exit')) as [number | null, string | null];
  clearTimeout(timer);
  return { code: code ?? signal ?? -1, output: running.output() };
}
