// Assembles the official Apache Kafka jars (broker, tools, Log4j 2 binding) from Maven Central
// into <projectRoot>/.cache/kafka/<version>/libs, using kafka/pom.xml. A marker file written
// after a successful copy tells a complete folder from an interrupted one.
//
// As a script: `node src/kafka/local/fetch-jars.ts` prints the lib dir.
import { createHash, randomBytes } from 'node:crypto';
import { access, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CommandNotFoundError, runCommand, tailLines } from './run-command.ts';

export interface EnsureKafkaJarsOptions {
  readonly projectRoot: string;
  readonly log?: (line: string) => void;
}

export interface KafkaJars {
  readonly version: string;
  readonly libDir: string;
}

interface Marker {
  readonly version: string;
  /** sha256 of kafka/pom.xml: editing the pom (other jars) invalidates the cache. */
  readonly pomSha256: string;
  readonly jars: readonly string[];
}

const MARKER_FILE = '.gradeflow-complete.json';
export const MIN_JAVA_MAJOR = 17;

/** The project root as seen from this file (src/kafka/local → three levels up). */
export const DEFAULT_PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

async function readPom(projectRoot: string): Promise<{ version: string; sha256: string }> {
  const pomPath = path.join(projectRoot, 'kafka', 'pom.xml');
  const pom = await readFile(pomPath, 'utf8');
  const match = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(pom);
  if (match?.[1] === undefined) throw new Error(`no <kafka.version> property in ${pomPath}`);
  return { version: match[1], sha256: createHash('sha256').update(pom).digest('hex') };
}

export async function readKafkaVersion(projectRoot: string): Promise<string> {
  return (await readPom(projectRoot)).version;
}

/** Makes sure the Kafka runtime jars are in the cache (running Maven if not) and returns where. */
export async function ensureKafkaJars(options: EnsureKafkaJarsOptions): Promise<KafkaJars> {
  const log = options.log ?? (() => {});
  const { version, sha256 } = await readPom(options.projectRoot);
  const expected = { version, pomSha256: sha256 };
  const versionDir = path.join(options.projectRoot, '.cache', 'kafka', version);
  const libDir = path.join(versionDir, 'libs');
  await checkJava();
  if (await isComplete(libDir, expected)) return { version, libDir };

  log(`kafka: fetching Apache Kafka ${version} jars with Maven into ${libDir}`);
  const started = Date.now();
  const tmpDir = path.join(versionDir, `libs.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await copyDependencies(options.projectRoot, tmpDir);
    const jars = (await readdir(tmpDir)).filter((name) => name.endsWith('.jar')).sort();
    if (jars.length === 0) throw new Error(`mvn copied no jars into ${tmpDir}`);
    const marker: Marker = { ...expected, jars };
    await writeFile(path.join(tmpDir, MARKER_FILE), `${JSON.stringify(marker, null, 2)}\n`);
    // Another process may have finished first; its complete folder is as good as ours.
    if (!(await isComplete(libDir, expected))) {
      await rm(libDir, { recursive: true, force: true });
      await rename(tmpDir, libDir);
    }
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
  log(`kafka: jars ready in ${Date.now() - started} ms`);
  return { version, libDir };
}

async function isComplete(libDir: string, expected: Omit<Marker, 'jars'>): Promise<boolean> {
  let marker: Marker;
  try {
    marker = JSON.parse(await readFile(path.join(libDir, MARKER_FILE), 'utf8')) as Marker;
  } catch {
    return false;
  }
  if (marker.version !== expected.version || marker.pomSha256 !== expected.pomSha256) return false;
  if (!Array.isArray(marker.jars) || marker.jars.length === 0) return false;
  try {
    await Promise.all(marker.jars.map((jar) => access(path.join(libDir, jar))));
    return true;
  } catch {
    return false;
  }
}

async function copyDependencies(projectRoot: string, outputDir: string): Promise<void> {
  const pom = path.join(projectRoot, 'kafka', 'pom.xml');
  const args = [
    '-q', '-B', '-f', pom, 'dependency:copy-dependencies',
    `-DoutputDirectory=${outputDir}`, '-DincludeScope=runtime',
  ];
  let result;
  try {
    result = await runCommand('mvn', args, { cwd: projectRoot });
  } catch (error) {
    if (error instanceof CommandNotFoundError) {
      throw new Error(
        'Apache Maven (mvn) is needed to fetch the Kafka jars but was not found on PATH: ' +
          'install it (e.g. `apt-get install maven`) or set KAFKA_BROKERS to use an existing cluster',
        { cause: error },
      );
    }
    throw error;
  }
  if (result.code !== 0) {
    const output = tailLines(`${result.stdout}\n${result.stderr}`);
    throw new Error(`mvn ${args.join(' ')} failed (exit ${result.code ?? result.signal}):\n${output}`);
  }
}

/** Parses the major version out of `java -version` output ("17.0.15", "1.8.0_392", "21"). */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (match?.[1] === undefined) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

/** Throws a clear error unless `java` is on PATH and is Java 17 or newer. */
export async function checkJava(): Promise<void> {
  const install = `install a Java ${MIN_JAVA_MAJOR}+ runtime (e.g. \`apt-get install openjdk-17-jre-headless\`)`;
  let result;
  try {
    result = await runCommand('java', ['-version'], { timeoutMs: 30_000 });
  } catch (error) {
    if (error instanceof CommandNotFoundError) {
      throw new Error(`java was not found on PATH; Apache Kafka needs it: ${install}`, { cause: error });
    }
    throw error;
  }
  const major = parseJavaMajor(`${result.stderr}\n${result.stdout}`);
  if (result.code !== 0 || major === undefined) {
    throw new Error(`\`java -version\` failed; ${install}:\n${tailLines(result.stderr)}`);
  }
  if (major < MIN_JAVA_MAJOR) {
    throw new Error(`Apache Kafka 4 needs Java ${MIN_JAVA_MAJOR}+, found Java ${major}: ${install}`);
  }
}

if (import.meta.main) {
  try {
    const jars = await ensureKafkaJars({
      projectRoot: DEFAULT_PROJECT_ROOT,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(`${jars.libDir}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
