// What every section stands on: the real broker (started from the official jars unless
// KAFKA_BROKERS names one), a PostgreSQL database of its own, the bench course files and the
// students' git repository.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Admin } from '@platformatic/kafka';
import pg from 'pg';
import { DEFAULT_PROJECT_ROOT, ensureKafkaJars, startLocalKafka } from '../../src/kafka/local/index.ts';

export const PROJECT_ROOT = DEFAULT_PROJECT_ROOT;

export interface Broker {
  readonly brokers: string[];
  /** Pid of the broker JVM, when the bench started it (for CPU and RSS). */
  readonly pid: number | null;
  readonly libDir: string;
  readonly version: string;
  stop(): Promise<void>;
}

export async function startBroker(dataDir: string, log: (line: string) => void): Promise<Broker> {
  const jars = await ensureKafkaJars({ projectRoot: PROJECT_ROOT, log });
  const given = process.env.KAFKA_BROKERS?.trim();
  if (given !== undefined && given !== '') {
    return { brokers: given.split(',').map((b) => b.trim()), pid: null, ...jars, stop: async () => {} };
  }
  const kafka = await startLocalKafka({ dataDir, brokers: 1, log });
  return { brokers: kafka.bootstrapBrokers, pid: kafka.nodes[0]?.pid ?? null, ...jars, stop: () => kafka.stop() };
}

export interface BenchDatabase {
  readonly url: string;
  readonly name: string;
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

const ADMIN_URL = process.env.TEST_PG_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

async function asAdmin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh database on the PostgreSQL of TEST_PG_ADMIN_URL (default: local trust auth). */
export async function createDatabase(): Promise<BenchDatabase> {
  const name = `gradeflow_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  await asAdmin(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async query(sql, params = []) {
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    drop: () => asAdmin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** Pids of the PostgreSQL backends connected to a database (for their CPU). */
export async function backendPids(db: BenchDatabase): Promise<number[]> {
  const rows = await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db.name]);
  return rows.map((r) => r.pid);
}

export const WEBHOOK_SECRET = 'bench-webhook-secret-0123456789';

export interface CourseSpec {
  readonly slug: string;
  readonly executor: 'none' | 'local' | 'gitlab-ci';
  readonly deadline: Date;
}

const iso = (date: Date) => date.toISOString().replace('Z', '+00:00');

/**
 * One course file: projects `<slug>/{assignment}/{student}`, one exam assignment `final`.
 * local: the hidden tests hold a ready JUnit report and the check command copies it (the
 * least work a check can do besides `true`, and it still yields a grade).
 */
export function writeCourse(dir: string, spec: CourseSpec): string {
  mkdirSync(path.join(dir, 'tests', 'bench'), { recursive: true });
  writeFileSync(path.join(dir, 'tests', 'bench', 'expected-report.xml'),
    '<testsuite name="bench" tests="2"><testcase classname="bench" name="compiles"/><testcase classname="bench" name="sorts"/></testsuite>\n');
  const lines = [
    `slug: ${spec.slug}`, `title: Bench ${spec.slug}`, 'gitlab:', `  projectPath: "${spec.slug}/{assignment}/{student}"`, `  webhookSecret: "${WEBHOOK_SECRET}"`,
    'assignments:', '  - slug: final', '    title: Final exam', `    deadline: ${iso(spec.deadline)}`, '    exam: true', '    branch: main',
  ];
  if (spec.executor === 'local') {
    lines.push('    check:', '      executor: local', '      tests: tests/bench', '      command: cp expected-report.xml report.xml', '      report: report.xml', '      timeoutSeconds: 60', '      memoryMb: 256');
  } else if (spec.executor === 'gitlab-ci') {
    lines.push('    check:', '      executor: gitlab-ci', '      variables: { SUITE: final }', '      timeoutSeconds: 600');
  }
  lines.push('    scoring:', '      maxScore: 10', '      weights: {}', '      default: 1', '');
  writeFileSync(path.join(dir, `${spec.slug}.yaml`), lines.join('\n'));
  return dir;
}

/**
 * A bare repository with `count` commits, each the tip of its own branch (so a shallow fetch
 * of its SHA works on any git), made in one `git fast-import`: thousands of students' pushes
 * in well under a second instead of three git commands each.
 */
export function makeStudentRepo(dir: string, count: number): { url: string; shas: string[] } {
  mkdirSync(dir, { recursive: true });
  execFileSync('git', ['init', '-q', '--bare', dir]);
  const chunks: string[] = [];
  const solution = 'export function sort(xs) { return [...xs].sort((a, b) => a - b); }\n';
  chunks.push(`blob\nmark :1\ndata ${Buffer.byteLength(solution)}\n${solution}\n`);
  for (let i = 0; i < count; i += 1) {
    const author = `push ${i} ${randomBytes(8).toString('hex')}\n`;
    const message = `push ${i}\n`;
    chunks.push(
      `commit refs/heads/p${i}\ncommitter Student <s@example.org> ${1_700_000_000 + i} +0000\ndata ${Buffer.byteLength(message)}\n${message}` +
        `M 100644 :1 sort.js\nM 100644 inline AUTHOR\ndata ${Buffer.byteLength(author)}\n${author}\n`,
    );
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, input: chunks.join('') });
  const refs = execFileSync('git', ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const byIndex = new Map<number, string>();
  for (const line of refs.trim().split('\n')) {
    const [ref, sha] = line.split(' ');
    byIndex.set(Number(ref?.slice('refs/heads/p'.length)), sha ?? '');
  }
  return { url: `file://${dir}`, shas: Array.from({ length: count }, (_, i) => byIndex.get(i) ?? '') };
}

export function kafkaAdmin(brokers: readonly string[]): Admin {
  return new Admin({ clientId: 'gradeflow-bench-admin', bootstrapBrokers: [...brokers], retries: 5 });
}

export async function createTopic(brokers: readonly string[], topic: string, partitions: number): Promise<void> {
  const admin = kafkaAdmin(brokers);
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
}

/** Latest offset of every partition of each topic (partition -> offset). */
export async function endOffsets(admin: Admin, topics: readonly string[]): Promise<Map<string, bigint[]>> {
  const metadata = await admin.metadata({ topics: [...topics] });
  const request = [...metadata.topics.entries()].map(([name, topic]) => ({
    name, partitions: Array.from({ length: topic.partitionsCount }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1n })),
  }));
  const listed = await admin.listOffsets({ topics: request });
  return new Map(listed.map((t) => {
    const offsets: bigint[] = [];
    for (const p of t.partitions) offsets[p.partitionIndex] = p.offset;
    return [t.name, offsets];
  }));
}

export async function countRecords(brokers: readonly string[], topic: string): Promise<number> {
  const admin = kafkaAdmin(brokers);
  try {
    const offsets = (await endOffsets(admin, [topic])).get(topic) ?? [];
    return offsets.reduce((sum, o) => sum + Number(o), 0);
  } finally {
    await admin.close();
  }
}

/**
 * Total lag of consumer groups: for every partition of its topics, latest offset minus the
 * committed one (0 when the group has not committed yet and the topic started empty).
 */
export async function groupLags(admin: Admin, groups: ReadonlyMap<string, readonly string[]>): Promise<Map<string, number>> {
  const topics = [...new Set([...groups.values()].flat())];
  const ends = await endOffsets(admin, topics);
  const committed = await admin.listConsumerGroupOffsets({ groups: [...groups.keys()] });
  const result = new Map<string, number>();
  for (const [group, groupTopics] of groups) {
    const offsets = committed.find((g) => g.groupId === group);
    let lag = 0;
    for (const topic of groupTopics) {
      const done = offsets?.topics.find((t) => t.name === topic)?.partitions ?? [];
      (ends.get(topic) ?? []).forEach((end, partition) => {
        const at = done.find((p) => p.partitionIndex === partition)?.committedOffset ?? -1n;
        lag += Number(end - (at < 0n ? 0n : at));
      });
    }
    result.set(group, lag);
  }
  return result;
}
