// Configuration: loaded once at start from the environment (and GRADEFLOW_CONFIG_FILE),
// validated with every problem reported at once, frozen. Nothing else reads process.env.
export { loadConfig, mergeConfigFile } from './load-config.ts';
export { ConfigError } from './types.ts';
export type { Config, Env, KafkaConfig, Compression, LogLevel } from './types.ts';

/** The process environment, read here only, so the rest of the code gets it passed in. */
export function processEnv(): Readonly<Record<string, string | undefined>> {
  return process.env;
}
