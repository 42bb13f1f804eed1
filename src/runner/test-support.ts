// Shared fixtures of the runner tests: real git repositories, a hidden-tests directory,
// a filesystem artifact store and a /proc check that the sandbox uid left nothing behind.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LocalCheck } from '../courses/index.ts';
import { FsArtifactStore } from '../storage/index.ts';
import { pidsOfUid } from './proc-tree.ts';
import { runCheck } from './run-check.ts';
import type { CheckOutcome, RunnerDeps, RunnerLimits } from './types.ts';

export const JUNIT_COMMAND = 'node --test --test-reporter=junit --test-reporter-destination=report.xml';

export const SORT_TESTS = `
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sort } from './src/sort.js';
test('sorts an empty array', () => { assert.deepEqual(sort([]), []); });
test('sorts numbers', () => { assert.deepEqual(sort([3, 1, 2, 1]), [1, 1, 2, 3]); });
test('sorts already sorted input', () => { assert.deepEqual(sort([1, 2, 3]), [1, 2, 3]); });
test('does not modify its argument', () => { const a = [2, 1]; sort(a); assert.deepEqual(a, [2, 1]); });
`;
export const GOOD_SORT = 'export function sort(a) { return [...a].sort((x, y) => x - y); }\n';

async function writeTree(dir: string, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
}

export interface Fixture {
  readonly root: string;
  readonly store: FsArtifactStore;
  readonly workRoot: string;
  /** Commits exactly these files (the previous tree is replaced); returns the file:// URL and sha. */
  commit(files: Readonly<Record<string, string>>): Promise<{ url: string; sha: string }>;
  hiddenTests(files: Readonly<Record<string, string>>): Promise<string>;
  run(sha: string, check: Partial<LocalCheck>, extra?: { token?: string; url?: string; deps?: Partial<RunnerDeps> }): Promise<CheckOutcome>;
  cleanup(): Promise<void>;
}

export async function createFixture(limits: Partial<RunnerLimits>): Promise<Fixture> {
  const root = await mkdtemp(path.join(tmpdir(), 'gradeflow-runner-test-'));
  // The sandbox uid binds <root>/work/run-* by path, so it must be able to traverse root.
  await chmod(root, 0o711);
  const repo = path.join(root, 'repo');
  const git = (...args: string[]): string => execFileSync('git', args, {
    cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  }).trim();
  await mkdir(repo);
  git('init', '--quiet', '-b', 'main');
  const store = new FsArtifactStore(path.join(root, 'artifacts'));
  const workRoot = path.join(root, 'work');
  let testsDir = '';
  return {
    root, store, workRoot,
    async commit(files) {
      for (const name of await readdir(repo)) {
        if (name !== '.git') await rm(path.join(repo, name), { recursive: true, force: true });
      }
      await writeTree(repo, files);
      git('add', '-A');
      git('-c', 'user.name=Student', '-c', 'user.email=s@example.org', 'commit', '--quiet', '--allow-empty', '-m', 'work');
      return { url: pathToFileURL(repo).href, sha: git('rev-parse', 'HEAD') };
    },
    async hiddenTests(files) {
      testsDir = await mkdtemp(path.join(root, 'tests-'));
      await writeTree(testsDir, files);
      return testsDir;
    },
    run(sha, check, extra = {}) {
      const full: LocalCheck = {
        executor: 'local', tests: testsDir, command: JUNIT_COMMAND, report: 'report.xml',
        timeoutSeconds: 30, memoryMb: 512, ...check,
      };
      return runCheck(
        { submissionId: 'algo:hw1:alice', repoUrl: extra.url ?? pathToFileURL(repo).href, commitSha: sha, check: full, gitToken: extra.token ?? null },
        { workRoot, store, limits, ...extra.deps },
      );
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** Processes of the sandbox uid that are still alive (zombies included). */
export async function survivors(uid: number): Promise<number[]> {
  return pidsOfUid(uid);
}
