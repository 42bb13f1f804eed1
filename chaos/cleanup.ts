// Nothing the chaos run starts may outlive it. Every child is spawned in a process group of
// its own and registered here; the 'exit' handler SIGKILLs whatever group is still alive (it
// runs on normal exit, on an uncaught error and after SIGINT/SIGTERM, which are turned into
// an orderly exit). Async clean-up (dropping the database, removing directories) runs from
// runCleanups() on the normal and the failure path; the 'exit' handler is the last resort.
const groups = new Set<number>();
const cleanups: Array<{ what: string; run: () => Promise<void> }> = [];
let installed = false;
let cleaning: Promise<void> | null = null;

/** A child started with `detached: true` leads a process group whose id is its pid. */
export function trackGroup(pid: number): void {
  groups.add(pid);
}

export function untrackGroup(pid: number): void {
  groups.delete(pid);
}

/** SIGKILLs the whole process group of a tracked child (the child and anything it started). */
export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Registers async clean-up; runCleanups() runs them last-registered first. */
export function onCleanup(what: string, run: () => Promise<void>): void {
  cleanups.push({ what, run });
}

export function runCleanups(log: (line: string) => void): Promise<void> {
  cleaning ??= (async () => {
    for (const { what, run } of cleanups.reverse()) {
      try {
        await run();
      } catch (error) {
        log(`clean-up of ${what} failed: ${(error as Error).message}`);
      }
    }
    for (const pid of groups) killGroup(pid);
  })();
  return cleaning;
}

export function installExitHandlers(log: (line: string) => void): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    for (const pid of groups) killGroup(pid);
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping everything`);
      void runCleanups(log).finally(() => process.exit(130));
      // A second signal, or clean-up taking too long, ends it at once (the exit handler still runs).
      setTimeout(() => process.exit(130), 30_000).unref();
      process.once(signal, () => process.exit(130));
    });
  }
}
