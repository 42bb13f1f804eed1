// Fetches exactly one commit into an empty directory. The token reaches git only through
// its environment (GIT_CONFIG_* -> http.extraHeader), never argv, files or remote URLs.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppError } from '../errors/index.ts';
import { runProcess } from './process.ts';
import { redact, secretForms } from './redact.ts';

export interface FetchCommitOptions {
  readonly token?: string | null;
  readonly timeoutMs: number;
  /** Extra `git -c` settings; tests use protocol.version=0 to exercise the fallback. */
  readonly extraConfig?: Readonly<Record<string, string>>;
}

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

function infra(message: string, secrets: readonly string[], details: Record<string, unknown> = {}): AppError {
  return new AppError('CHECK_INFRA', redact(message, secrets), { retryable: true, details });
}

/** No user/system config (credential helpers, url rewrites), no prompts, no ext:: transport. */
function gitEnv(home: string, token: string | null | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '/bin/false',
    GIT_ALLOW_PROTOCOL: 'file:http:https',
  };
  if (token !== null && token !== undefined && token !== '') {
    const basic = Buffer.from(`oauth2:${token}`).toString('base64');
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
    env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${basic}`;
  }
  return env;
}

// What `git init` would write, less its templates (sample hooks, description, info/exclude:
// files to copy, hand to the sandbox uid and delete for every check) and less a process:
// a HEAD naming an unborn branch, objects/ and refs/ are what git recognises as a repository
// (gitrepository-layout(5)). Reflogs are off: nobody reads them in a one-check clone; and
// so is maintenance, which a fetch otherwise starts as one more process (`git maintenance
// run --auto`) for a repository that is deleted minutes later.
const GIT_CONFIG = [
  '[core]', '\trepositoryformatversion = 0', '\tfilemode = true', '\tbare = false', '\tlogallrefupdates = false',
  '[maintenance]', '\tauto = false', '[gc]', '\tauto = 0', '',
].join('\n');

async function initRepository(dir: string): Promise<void> {
  const gitDir = path.join(dir, '.git');
  await mkdir(path.join(gitDir, 'objects'), { recursive: true });
  await mkdir(path.join(gitDir, 'refs'));
  await writeFile(path.join(gitDir, 'HEAD'), 'ref: refs/heads/main\n');
  await writeFile(path.join(gitDir, 'config'), GIT_CONFIG);
}

export async function fetchCommit(dir: string, url: string, sha: string, options: FetchCommitOptions): Promise<void> {
  const secrets = secretForms(options.token);
  if (!SHA.test(sha)) {
    throw new AppError('CHECK_INVALID_JOB', `commitSha must be a full lowercase hex object name`, { details: { sha } });
  }
  if (url.startsWith('-')) throw new AppError('CHECK_INVALID_JOB', 'repoUrl must not start with "-"');
  const home = await mkdtemp(path.join(tmpdir(), 'gradeflow-git-home-'));
  const config = Object.entries(options.extraConfig ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const git = async (args: string[]): Promise<void> => {
    const result = await runProcess('git', [...config, ...args], {
      cwd: dir, env: gitEnv(home, options.token), timeoutMs: options.timeoutMs,
    }).catch((error: unknown) => {
      throw infra(`git could not be started: ${(error as Error).message}`, secrets);
    });
    if (result.code === 0) return;
    const why = result.timedOut ? `timed out after ${options.timeoutMs} ms` : `exited with ${result.code ?? result.signal}`;
    throw infra(`git ${args[0]} ${why}: ${result.output.trim().slice(-2000)}`, secrets, { gitCommand: args[0], timedOut: result.timedOut });
  };
  try {
    await initRepository(dir).catch((error: unknown) => {
      throw infra(`the repository could not be created: ${(error as Error).message}`, secrets);
    });
    await git(['fetch', '--quiet', '--no-tags', '--depth', '1', '--', url, sha]).catch(async (error: AppError) => {
      if (error.details.timedOut === true) throw error;
      // Servers with protocol v0 and no allow*SHA1InWant refuse a bare sha: fetch every
      // ref instead and hope the commit is reachable from one of them.
      await git(['fetch', '--quiet', '--no-tags', '--', url, '+refs/*:refs/gradeflow/*']);
    });
    await git(['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', sha]);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
