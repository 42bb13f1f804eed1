// The one place that turns the environment (and an optional KEY=VALUE file) into typed,
// validated, frozen configuration. Every problem is collected and reported at once, each
// naming the variable and what was expected, so an operator fixes a deployment in one go.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type { Config, Compression, Env, LogLevel } from './types.ts';
import { ConfigError } from './types.ts';

const COMPRESSIONS: readonly Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const MIN_SECRET_LENGTH = 16;

/** Reads variables, remembering each problem instead of stopping at the first. */
class EnvReader {
  readonly problems: string[] = [];
  readonly env: Env;
  constructor(env: Env) {
    this.env = env;
  }

  string(name: string, fallback: string): string {
    const raw = this.raw(name);
    return raw === undefined ? fallback : raw;
  }

  optional(name: string): string | null {
    return this.raw(name) ?? null;
  }

  secret(name: string): string | null {
    const raw = this.raw(name);
    if (raw === undefined) return null;
    if (raw.length < MIN_SECRET_LENGTH) {
      this.problems.push(`${name}: expected at least ${MIN_SECRET_LENGTH} characters, got ${raw.length}`);
    }
    return raw;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || value < min || value > max) {
      this.problems.push(`${name}: expected a whole number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name}: expected one of ${allowed.join(', ')}, got "${raw}"`);
      return fallback;
    }
    return raw as T;
  }

  list(name: string): string[] | null {
    const raw = this.raw(name);
    if (raw === undefined) return null;
    const items = raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
    if (items.length === 0) this.problems.push(`${name}: expected a comma-separated list of host:port, got an empty value`);
    for (const item of items) {
      if (!/^[^\s:/]+:\d{1,5}$/.test(item)) {
        this.problems.push(`${name}: expected host:port, got "${item}"`);
      }
    }
    return items;
  }

  url(name: string, protocols: readonly string[]): string | null {
    const raw = this.raw(name);
    if (raw === undefined) return null;
    let parsed: URL | null = null;
    try {
      parsed = new URL(raw);
    } catch {
      // reported below; the value itself may hold a password, so it is never echoed
    }
    if (parsed === null || !protocols.includes(parsed.protocol)) {
      this.problems.push(`${name}: expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
      return null;
    }
    return raw;
  }

  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }
}

/** Reads GRADEFLOW_CONFIG_FILE (KEY=VALUE lines); variables set in the environment win. */
export function mergeConfigFile(env: Env, cwd = process.cwd()): Env {
  const file = env.GRADEFLOW_CONFIG_FILE;
  if (file === undefined || file.trim() === '') return env;
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`GRADEFLOW_CONFIG_FILE: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`]);
  }
  return { ...parseEnv(text), ...env };
}

export function loadConfig(inputEnv: Env, cwd = process.cwd()): Config {
  const env = mergeConfigFile(inputEnv, cwd);
  const read = new EnvReader(env);
  const dataDir = resolve(cwd, read.string('GRADEFLOW_DATA_DIR', './data'));
  const brokers = read.list('KAFKA_BROKERS');
  const config: Config = {
    http: {
      host: read.string('HOST', '127.0.0.1'),
      port: read.integer('PORT', 8080, 0, 65535),
      bodyLimitBytes: read.integer('GRADEFLOW_WEBHOOK_BODY_LIMIT', 5 * 1024 * 1024, 1024, 25 * 1024 * 1024),
      // Per source IP: a whole exam's webhooks come from the few hosts of one GitLab instance.
      webhookRateLimitPerMinute: read.integer('GRADEFLOW_WEBHOOK_RATE_LIMIT', 6000, 1, 1_000_000_000),
      publicUrl: read.url('GRADEFLOW_PUBLIC_URL', ['http:', 'https:']),
    },
    apiUrl: read.url('GRADEFLOW_API_URL', ['http:', 'https:']),
    kafka: {
      brokers,
      embedded: brokers === null,
      embeddedPort: read.integer('KAFKA_EMBEDDED_PORT', 9092, 0, 65535),
      topicPrefix: read.string('KAFKA_TOPIC_PREFIX', 'edu.'),
      compression: read.choice('KAFKA_COMPRESSION', COMPRESSIONS, 'snappy'),
      requiredAcks: Number(read.choice('KAFKA_REQUIRED_ACKS', ['-1', '0', '1'] as const, '-1')) as -1 | 0 | 1,
      clientId: read.string('KAFKA_CLIENT_ID', 'gradeflow'),
      instanceId: read.optional('GRADEFLOW_INSTANCE_ID'),
      replicationFactor: read.integer('KAFKA_REPLICATION_FACTOR', brokers === null ? 1 : 3, 1, 32),
    },
    database: { url: read.url('DATABASE_URL', ['postgres:', 'postgresql:']) },
    redis: { url: read.url('REDIS_URL', ['redis:', 'rediss:']) },
    gitlab: {
      webhookSecret: read.secret('GITLAB_WEBHOOK_SECRET'),
      url: read.url('GITLAB_URL', ['http:', 'https:']),
      token: read.optional('GITLAB_TOKEN'),
    },
    runner: {
      concurrency: read.integer('GRADEFLOW_RUNNER_CONCURRENCY', Math.max(1, availableParallelism()), 1, 256),
      workDir: resolve(cwd, read.string('GRADEFLOW_RUNNER_WORK_DIR', `${dataDir}/work`)),
    },
    artifactsDir: resolve(cwd, read.string('GRADEFLOW_ARTIFACTS_DIR', `${dataDir}/artifacts`)),
    spool: {
      dir: resolve(cwd, read.string('GRADEFLOW_SPOOL_DIR', `${dataDir}/spool`)),
      maxBytes: read.integer('GRADEFLOW_SPOOL_MAX_BYTES', 256 * 1024 * 1024, 1024 * 1024, 64 * 1024 * 1024 * 1024),
    },
    admin: { token: read.secret('GRADEFLOW_ADMIN_TOKEN') },
    coursesDir: resolve(cwd, read.string('GRADEFLOW_COURSES_DIR', './courses')),
    dataDir,
    logLevel: read.choice('LOG_LEVEL', LOG_LEVELS, 'info'),
  };
  if (config.kafka.topicPrefix !== '' && !/^[a-zA-Z0-9._-]{1,100}$/.test(config.kafka.topicPrefix)) {
    read.problems.push(`KAFKA_TOPIC_PREFIX: expected letters, digits, '.', '_' or '-', got "${config.kafka.topicPrefix}"`);
  }
  if (config.apiUrl === null) {
    const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
    (config as { apiUrl: string | null }).apiUrl = `http://${host}:${config.http.port}`;
  }
  if ((config.gitlab.url === null) !== (config.gitlab.token === null)) {
    read.problems.push('GITLAB_URL and GITLAB_TOKEN: set both (the API of your GitLab and a token with api scope) or neither');
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
