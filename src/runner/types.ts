// Public shapes of the check runner: the job, its dependencies, the limits and the outcome.
import type { LocalCheck } from '../courses/index.ts';
import type { ArtifactStore } from '../storage/index.ts';

export type Verdict =
  | 'completed'
  | 'time-limit'
  | 'memory-limit'
  | 'output-limit'
  | 'process-limit'
  | 'no-report'
  | 'system-error';

/** The limits a run can be killed for (wall time and memory come from the LocalCheck). */
export type LimitVerdict = 'time-limit' | 'memory-limit' | 'output-limit' | 'process-limit';

export interface CheckJob {
  readonly submissionId: string;
  /** Any URL git fetches from (file://, https://); credentials go in gitToken, not here. */
  readonly repoUrl: string;
  /** Full hex object name (40 or 64 characters). */
  readonly commitSha: string;
  readonly check: LocalCheck;
  /** Sent as HTTP Basic auth (user "oauth2") through git's environment, never in argv. */
  readonly gitToken?: string | null;
}

export interface RunnerLimits {
  /** RLIMIT_NPROC of the sandbox uid; counts threads too (a Node process has ~10). */
  readonly maxProcesses: number;
  /** stdout+stderr beyond this kills the run (output-limit). */
  readonly maxOutputBytes: number;
  /** How much of the output is kept for the log (head and tail). */
  readonly keptOutputBytes: number;
  /** RLIMIT_FSIZE: largest single file the student code may write. */
  readonly maxFileBytes: number;
  /** Size of each private tmpfs (/tmp, /dev/shm). */
  readonly tmpfsBytes: number;
  readonly maxReportBytes: number;
  readonly maxReports: number;
  /** Directory entries looked at while matching the report glob. */
  readonly maxScanEntries: number;
  /** How often the sandbox's process tree is sampled for memory and task count. */
  readonly pollIntervalMs: number;
  readonly gitTimeoutMs: number;
  /** Unprivileged ids the student code runs as; give concurrent runners distinct uids. */
  readonly sandboxUid: number;
  readonly sandboxGid: number;
  /** Bytes of output tail quoted in a no-report message. */
  readonly messageTailBytes: number;
}

export const DEFAULT_RUNNER_LIMITS: RunnerLimits = {
  maxProcesses: 256,
  maxOutputBytes: 4 * 1024 * 1024,
  keptOutputBytes: 1024 * 1024,
  maxFileBytes: 64 * 1024 * 1024,
  tmpfsBytes: 64 * 1024 * 1024,
  maxReportBytes: 8 * 1024 * 1024,
  maxReports: 20,
  maxScanEntries: 50_000,
  pollIntervalMs: 50,
  gitTimeoutMs: 120_000,
  sandboxUid: 65534,
  sandboxGid: 65534,
  messageTailBytes: 2048,
};

/** The right to run one sandbox as uid/gid (the machine's capacity), until release(). */
export interface SandboxLease {
  readonly uid: number;
  readonly gid: number;
  release(): void;
}

export interface RunnerDeps {
  /** Parent of the per-run work directories; must be traversable by the sandbox uid. */
  readonly workRoot: string;
  readonly store: ArtifactStore;
  readonly limits?: Partial<RunnerLimits>;
  /** Asked for once the commit is checked out and given back as soon as the sandbox has ended,
   * so that one check's git fetch and artifacts overlap another's run. Without it every run
   * uses limits.sandboxUid/sandboxGid at once. */
  readonly acquireSandbox?: () => Promise<SandboxLease>;
}

export interface CheckOutcome {
  readonly verdict: Verdict;
  /** Exit code of the check command; null when it was killed. */
  readonly exitCode: number | null;
  readonly durationMs: number;
  /** Raw JUnit XML texts, in path order, for the result processor. */
  readonly reports: string[];
  readonly reportUris: string[];
  readonly logUri: string | null;
  /** Human explanation for the student. */
  readonly message: string;
}
