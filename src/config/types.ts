export type Env = Readonly<Record<string, string | undefined>>;
export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The seed's KafkaConfig, plus what running the embedded broker needs. */
export interface KafkaConfig {
  /** null: no cluster given, so the embedded local broker is started. */
  readonly brokers: readonly string[] | null;
  readonly embedded: boolean;
  readonly embeddedPort: number;
  readonly topicPrefix: string;
  readonly compression: Compression;
  readonly requiredAcks: -1 | 0 | 1;
  readonly clientId: string;
  /** Static membership: a stable id per worker process, so a restart is not a rebalance. */
  readonly instanceId: string | null;
  readonly replicationFactor: number;
}

export interface Config {
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimitBytes: number;
    readonly webhookRateLimitPerMinute: number;
    /** Base URL used in links sent to students (commit status target_url). */
    readonly publicUrl: string | null;
  };
  /** Where CLI commands reach the running system's API (GRADEFLOW_API_URL; default: this HOST:PORT). */
  readonly apiUrl: string | null;
  readonly kafka: KafkaConfig;
  /** null: embedded PGlite under dataDir. */
  readonly database: { readonly url: string | null };
  /** null: in-memory cache. */
  readonly redis: { readonly url: string | null };
  readonly gitlab: {
    readonly webhookSecret: string | null;
    /** GitLab's base URL and API token: commit statuses, comments, pipelines. null = not configured. */
    readonly url: string | null;
    readonly token: string | null;
  };
  readonly runner: {
    /** Checks run at once by one check-runners process. */
    readonly concurrency: number;
    /** Where checkouts are made (each check gets a private directory, removed afterwards). */
    readonly workDir: string;
  };
  /** Logs and test reports of checks (filesystem artifact store). */
  readonly artifactsDir: string;
  /** Where the gateway keeps webhooks Kafka could not take yet; full = 503. */
  readonly spool: { readonly dir: string; readonly maxBytes: number };
  readonly admin: { readonly token: string | null };
  readonly coursesDir: string;
  readonly dataDir: string;
  readonly logLevel: LogLevel;
}

/** Every configuration problem found at start, each naming the variable and what was expected. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
