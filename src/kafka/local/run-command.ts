// Runs a short-lived external command (mvn, java -version, Kafka's StorageTool) and collects
// its output, so that failures can be reported with what the tool printed.
import { spawn } from 'node:child_process';

export interface CommandResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunCommandOptions {
  readonly cwd?: string;
  /** Kill the command (SIGKILL) after this many milliseconds. */
  readonly timeoutMs?: number;
}

/** Thrown when the executable itself cannot be found (ENOENT). */
export class CommandNotFoundError extends Error {
  readonly command: string;

  constructor(command: string, cause: unknown) {
    super(`command not found: ${command}`, { cause });
    this.name = 'CommandNotFoundError';
    this.command = command;
  }
}

const MAX_CAPTURE = 64 * 1024;

function appendCapped(current: string, chunk: Buffer): string {
  const next = current + chunk.toString('utf8');
  return next.length > MAX_CAPTURE ? next.slice(next.length - MAX_CAPTURE) : next;
}

/** Runs `command args…`, resolving with its exit status and (the tail of) its output. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunCommandOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout = appendCapped(stdout, chunk)));
    child.stderr.on('data', (chunk: Buffer) => (stderr = appendCapped(stderr, chunk)));
    const timer =
      options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(error.code === 'ENOENT' ? new CommandNotFoundError(command, error) : error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The last `maxLines` non-empty lines of a text, for error messages. */
export function tailLines(text: string, maxLines = 30): string {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  return lines.slice(-maxLines).join('\n');
}
