// Temporary directories a test file makes through its helpers, removed when the file's process
// exits (node --test runs every file in a process of its own), so that a test run leaves
// nothing under the system's temp directory, even when a test fails before its own cleanup.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** mkdtemp under the system's temp directory, removed at exit. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}
