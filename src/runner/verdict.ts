// Turns what happened in the sandbox into the verdict and the sentence the student reads.
import type { LocalCheck } from '../courses/index.ts';
import type { SandboxResult } from './sandbox.ts';
import type { RunnerLimits, Verdict } from './types.ts';

export interface VerdictInput {
  readonly run: SandboxResult;
  readonly reportCount: number;
  readonly problems: readonly string[];
  readonly check: LocalCheck;
  readonly limits: RunnerLimits;
}

export function decideVerdict(input: VerdictInput): Verdict {
  const { run } = input;
  if (run.killedFor !== null) return run.killedFor;
  // A signal on bwrap itself that we did not send: the host (OOM killer, operator)
  // intervened, so this says nothing about the submission.
  if (run.signal !== null) return 'system-error';
  // A non-zero exit with a report is normal: failing tests make the runner exit 1.
  return input.reportCount > 0 ? 'completed' : 'no-report';
}

function mib(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}

export function explain(verdict: Verdict, input: VerdictInput): string {
  const { run, check, limits } = input;
  const notes = input.problems.length > 0 ? ` Note: ${input.problems.join('; ')}.` : '';
  switch (verdict) {
    case 'completed':
      return `Tests ran (exit code ${run.exitCode}); ${input.reportCount} report(s) collected.${notes}`;
    case 'time-limit':
      return `Time limit of ${check.timeoutSeconds} s exceeded; the run was stopped.`;
    case 'memory-limit':
      return `Memory limit of ${check.memoryMb} MB exceeded; the run was stopped.`;
    case 'output-limit':
      return `Output limit of ${mib(limits.maxOutputBytes)} (stdout and stderr together) exceeded; the run was stopped.`;
    case 'process-limit':
      return `Process limit of ${limits.maxProcesses} processes/threads reached; the run was stopped.`;
    case 'system-error':
      return `The check was interrupted by the system (signal ${run.signal}); this is not a verdict on your code.`;
    case 'no-report': {
      const tail = run.output.lastBytes(limits.messageTailBytes).trimEnd();
      return `No test report matching "${check.report}" was produced (exit code ${run.exitCode}): ` +
        `usually the code does not compile or the tests could not start.${notes}` +
        (tail === '' ? '' : `\nLast output:\n${tail}`);
    }
  }
}

export function logTrailer(verdict: Verdict, run: SandboxResult): string {
  const omitted = run.output.omitted > 0 ? ` (${run.output.omitted} bytes omitted from this log)` : '';
  return `\n[gradeflow] verdict=${verdict} exit=${run.exitCode ?? run.signal ?? 'killed'} ` +
    `duration=${Math.round(run.durationMs)}ms output=${run.output.total} bytes${omitted}\n`;
}
