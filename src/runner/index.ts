// Check runner for the `local` executor: a pure library, the Kafka consumer lives elsewhere.
// Glossary — work dir: fresh host directory holding the checkout plus the hidden tests;
// sandbox: bubblewrap (user/pid/net/ipc/uts namespaces) running the check command as an
// unprivileged uid with /work = work dir; verdict: what the run says about the submission
// (limits included); CHECK_INFRA: what it says about the host (retryable, never a verdict).
export { runCheck } from './run-check.ts';
export { DEFAULT_RUNNER_LIMITS } from './types.ts';
export type { CheckJob, CheckOutcome, LimitVerdict, RunnerDeps, RunnerLimits, Verdict } from './types.ts';
