// Building blocks the composition roots (start, gateway, worker) assemble: each opens one
// adapter, registers how to stop it, and returns it.
import type { Config } from '../config/index.ts';
import type { Course } from '../courses/index.ts';
import { coursesBySlug, loadCourses } from '../courses/index.ts';
import { GitLabClient } from '../gitlab/index.ts';
import type { Spool } from '../gateway/spool/index.ts';
import { LateDeliveries, openSpool, startForwarder } from '../gateway/spool/index.ts';
import { GitLabReadApi } from '../gitlab/reconcile-api.ts';
import { reconcile } from '../pipeline/reconciler.ts';
import { startReconcileSchedule } from '../pipeline/reconcile-schedule.ts';
import type { ReconcileFn } from '../web/reconcile-routes.ts';
import type { ArtifactStore } from '../storage/index.ts';
import { FsArtifactStore } from '../storage/index.ts';
import type { Database } from '../db/index.ts';
import { migrate, openDatabase } from '../db/index.ts';
import type { KafkaConnection } from '../kafka/index.ts';
import { KafkaConsumerGroup, KafkaEventProducer, connectionFrom, kafkaDeadLetterSink, provisionTopics } from '../kafka/index.ts';
import type { Lifecycle } from '../lifecycle/index.ts';
import type { Logger } from '../logging/index.ts';
import type { Metrics } from '../metrics/index.ts';
import type { GroupName } from '../pipeline/index.ts';
import { GROUPS } from '../pipeline/index.ts';
import { ALL_TOPICS } from '../events/index.ts';
import { startCiSweeper } from '../pipeline/ci-sweeper.ts';
import { consumerObserver, producerObserver } from './observers.ts';

export interface Kit {
  readonly config: Config;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly lifecycle: Lifecycle;
}

export async function courses(kit: Kit): Promise<readonly Course[]> {
  const loaded = await loadCourses({ dir: kit.config.coursesDir, env: kit.env });
  for (const warning of loaded.warnings) kit.log.warn(warning);
  const needGitLab = loaded.courses.flatMap((c) => c.assignments.filter((a) => a.check?.executor === 'gitlab-ci').map((a) => `${c.slug}/${a.slug}`));
  // A warning, not a refusal to start: the example course must run on a fresh machine, and the
  // other assignments work meanwhile. Pushes to these get a system error until GitLab is set.
  if (needGitLab.length > 0 && kit.config.gitlab.url === null) {
    kit.log.warn(`assignments ${needGitLab.join(', ')} use executor gitlab-ci, but GITLAB_URL and GITLAB_TOKEN are not set: their pushes cannot be checked`);
  }
  return loaded.courses;
}

/** What every consumer group's handler may use (see GroupContext). */
export interface WorkerDeps {
  readonly db: Database;
  readonly producer: KafkaEventProducer;
  readonly courses: ReadonlyMap<string, Course>;
  readonly gitlab: GitLabClient | null;
  readonly artifacts: ArtifactStore;
  /** Asks GitLab for branch heads no webhook delivered; null without GITLAB_URL/GITLAB_TOKEN. */
  readonly reconcile: ReconcileFn | null;
}

export function workerDeps(kit: Kit, db: Database, producer: KafkaEventProducer, loaded: readonly Course[]): WorkerDeps {
  const { url, token } = kit.config.gitlab;
  const log = kit.log.child({ component: 'gitlab' });
  const gitlab = url !== null && token !== null ? new GitLabClient({ baseUrl: url, token, log }) : null;
  const readApi = url !== null && token !== null && gitlab !== null ? new GitLabReadApi({ baseUrl: url, token, log }, gitlab) : null;
  const reconcileFn: ReconcileFn | null = readApi === null ? null : (target, onOutcome) =>
    reconcile({ db, gitlab: readApi, publisher: producer, courses: loaded, log: kit.log.child({ component: 'reconciler' }) }, target, onOutcome);
  return { db, producer, courses: coursesBySlug(loaded), gitlab, artifacts: new FsArtifactStore(kit.config.artifactsDir), reconcile: reconcileFn };
}

/** Right after each deadline (and late cutoff), look for pushes whose webhook never came. */
export function reconcileSchedule(kit: Kit, deps: WorkerDeps, loaded: readonly Course[]): void {
  const run = deps.reconcile;
  if (run === null) return;
  const schedule = startReconcileSchedule({ courses: loaded, reconcile: (target) => run(target, () => {}), log: kit.log.child({ component: 'reconcile-schedule' }) });
  kit.lifecycle.add('reconcile schedule', () => schedule.stop());
}

export async function kafka(kit: Kit, brokers: readonly string[]): Promise<KafkaConnection> {
  const connection = connectionFrom(kit.config.kafka, brokers);
  const report = await provisionTopics(connection, ALL_TOPICS, { groups: Object.keys(GROUPS) });
  for (const warning of report.warnings) kit.log.warn(warning);
  if (report.created.length > 0) kit.log.info({ topics: report.created }, 'topics created');
  return connection;
}

export async function database(kit: Kit): Promise<Database> {
  const db = await openDatabase({
    url: kit.config.database.url,
    dataDir: kit.config.dataDir,
    onBackgroundError: (error) => kit.log.warn({ err: error }, 'database connection error'),
  });
  kit.lifecycle.add('database', () => db.close());
  const result = await migrate(db);
  if (result.applied.length > 0) kit.log.info({ applied: result.applied }, 'database migrated');
  return db;
}

export function producer(kit: Kit, connection: KafkaConnection, source: string): KafkaEventProducer {
  const created = new KafkaEventProducer(connection, source, producerObserver(kit.metrics, connection.topicPrefix), kit.log.child({ producer: source }));
  kit.lifecycle.add(`${source} producer`, () => created.close());
  return created;
}

/** Starts `instances` members of a group (default: the seed's count) in this process. They
 * join together, so the group settles in one rebalance instead of one per member. */
export async function consumerGroup(kit: Kit, connection: KafkaConnection, name: GroupName, deps: WorkerDeps, instances?: number): Promise<void> {
  const definition = GROUPS[name];
  const count = instances ?? definition.instances;
  await Promise.all(Array.from({ length: count }, async (_, index) => {
    const log = kit.log.child({ group: name, member: index });
    const group = new KafkaConsumerGroup(connection, {
      group: name,
      topics: definition.topics,
      log,
      deadLetters: kafkaDeadLetterSink(deps.producer, connection.topicPrefix),
      sender: deps.producer,
      ...(kit.config.kafka.instanceId === null ? {} : { instanceId: `${kit.config.kafka.instanceId}-${name}-${index}` }),
      observer: consumerObserver(kit.metrics),
    });
    kit.lifecycle.add(`${name}#${index}`, () => group.close());
    await group.consume(definition.handler({ ...deps, publisher: deps.producer, log, metrics: kit.metrics, config: kit.config }));
  }));
}

/** Pipelines that never report back are found and retried once (gitlab-ci executor only). */
export function ciSweeper(kit: Kit, deps: WorkerDeps): void {
  if (deps.gitlab === null) return;
  const sweeper = startCiSweeper({
    db: deps.db, gitlab: deps.gitlab, publisher: deps.producer, courses: deps.courses,
    log: kit.log.child({ component: 'ci-sweeper' }), publicUrl: kit.config.http.publicUrl,
  });
  kit.lifecycle.add('ci sweeper', () => sweeper.stop());
}

/** The gateway's durable spool and its forwarder: webhooks Kafka cannot take wait on disk. */
export async function gatewaySpool(kit: Kit, gatewayProducer: KafkaEventProducer): Promise<{ spool: Spool; lateDeliveries: LateDeliveries }> {
  const spool = await openSpool({ dir: kit.config.spool.dir, maxBytes: kit.config.spool.maxBytes, log: kit.log.child({ component: 'spool' }), metrics: kit.metrics });
  kit.lifecycle.add('spool', () => spool.close());
  const lateDeliveries = new LateDeliveries();
  const forwarder = startForwarder(spool, gatewayProducer, { log: kit.log.child({ component: 'spool-forwarder' }), lateDeliveries });
  kit.lifecycle.add('spool forwarder', () => forwarder.stop());
  return { spool, lateDeliveries };
}
