#!/usr/bin/env -S node --max-semi-space-size=16 --max-old-space-size=512
// The `gradeflow` command. Exit codes: 0 ok, 1 failed while running, 2 bad usage or
// configuration (the message says what to fix).
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, processEnv } from '../config/index.ts';
import type { Config } from '../config/index.ts';
import { runDlq } from './dlq.ts';
import { runReconcile } from './reconcile.ts';
import { requestRegrade } from './regrade-client.ts';
import { CourseConfigError } from '../courses/index.ts';
import { AppError } from '../errors/index.ts';
import { Lifecycle } from '../lifecycle/index.ts';
import { createLogger } from '../logging/index.ts';
import { createMetrics } from '../metrics/index.ts';
import { GROUPS, isGroupName } from '../pipeline/index.ts';
import type { Kit } from '../app/index.ts';
import { startAll, startGateway, startWorker } from '../app/index.ts';

const USAGE = `usage: gradeflow <command>

  start                       the whole system in one process (embedded defaults)
  gateway                     the webhook gateway only
  worker <group> [--instances N]
                              one consumer group: ${Object.keys(GROUPS).join(', ')}
  reconcile --course C [--assignment A]
                              emit pushes for branch heads no webhook delivered
                              (asks the running system, like regrade)
  regrade --course C --assignment A [--student S]
                              check the counting submissions again (asks the running
                              system at GRADEFLOW_API_URL, with GRADEFLOW_ADMIN_TOKEN)
  dlq list|show|redrive ...   inspect dead letters and send them back (gradeflow dlq help)
  help                        this text

Configuration comes from the environment (see README.md, "Configuration").`;

class UsageError extends Error {}

async function main(argv: readonly string[]): Promise<void> {
  // dlq has options of its own (--topic, --group, ...): it parses its arguments itself.
  if (argv[0] === 'dlq') {
    process.exitCode = await runDlq(loadConfig(processEnv()), argv.slice(1), { stdout: process.stdout, stderr: process.stderr });
    return;
  }
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { instances: { type: 'string' }, course: { type: 'string' }, assignment: { type: 'string' }, student: { type: 'string' } },
  });
  const [command, ...rest] = positionals;
  if (command === undefined || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const env = processEnv();
  const config = loadConfig(env);
  const log = createLogger(config.logLevel);
  if (command === 'regrade') {
    await runRegrade(config, values);
    return;
  }
  if (command === 'reconcile') {
    await runReconcile(config, values, process.stdout);
    return;
  }
  const lifecycle = new Lifecycle(log);
  lifecycle.handleSignals();
  const kit: Kit = { config, env, log, metrics: createMetrics(), lifecycle };
  try {
    await run(kit, command, rest, values.instances);
  } catch (error) {
    await lifecycle.stop();
    throw error;
  }
}

async function run(kit: Kit, command: string, rest: string[], instances: string | undefined): Promise<void> {
  switch (command) {
    case 'start':
      await startAll(kit);
      return;
    case 'gateway':
      await startGateway(kit);
      return;
    case 'worker': {
      const group = rest[0] ?? '';
      if (!isGroupName(group)) throw new UsageError(`unknown group "${group}"; groups: ${Object.keys(GROUPS).join(', ')}`);
      const count = instances === undefined ? 1 : Number(instances);
      if (!Number.isInteger(count) || count < 1 || count > 64) throw new UsageError('--instances must be a whole number from 1 to 64');
      await startWorker(kit, group, count);
      return;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function runRegrade(config: Config, values: { course?: string; assignment?: string; student?: string }): Promise<void> {
  if (values.course === undefined || values.assignment === undefined) throw new UsageError('regrade needs --course and --assignment');
  if (config.admin.token === null) throw new UsageError('regrade needs GRADEFLOW_ADMIN_TOKEN (the staff API token of the running system)');
  const requeued = await requestRegrade({
    apiUrl: config.apiUrl ?? `http://127.0.0.1:${config.http.port}`,
    token: config.admin.token,
    course: values.course,
    assignment: values.assignment,
    ...(values.student === undefined ? {} : { student: values.student }),
  });
  process.stdout.write(`${requeued} submission(s) queued for re-grading\n`);
}

function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof ConfigError || error instanceof CourseConfigError) return 2;
  if (error instanceof AppError && ['CONFIG_INVALID', 'REGRADE_REFUSED', 'USAGE_INVALID', 'RECONCILE_REFUSED'].includes(error.code)) return 2;
  return 1;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`gradeflow: ${message}\n`);
  if (error instanceof UsageError) process.stderr.write(`${USAGE}\n`);
  process.exitCode = exitCodeOf(error);
});
