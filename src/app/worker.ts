// `gradeflow worker <group>`: one consumer group in its own process, for scaling out. It joins
// an existing cluster (KAFKA_BROKERS, or the broker of a `gradeflow start` on this machine) and
// a shared PostgreSQL: the embedded PGlite belongs to one process only.
import { AppError } from '../errors/index.ts';
import type { GroupName } from '../pipeline/index.ts';
import { buildHttp, listen } from './http.ts';
import { workerBrokers } from './kafka-runtime.ts';
import type { Kit } from './services.ts';
import { ciSweeper, consumerGroup, courses, database, kafka, producer, workerDeps } from './services.ts';

export async function startWorker(kit: Kit, group: GroupName, instances: number): Promise<{ url: string }> {
  if (kit.config.database.url === null) {
    throw new AppError('CONFIG_INVALID', 'a worker process needs DATABASE_URL: the embedded PGlite database can only be used by one process (gradeflow start)');
  }
  const loadedCourses = await courses(kit);
  const connection = await kafka(kit, workerBrokers(kit.config));
  const db = await database(kit);
  const workerProducer = producer(kit, connection, group);
  const deps = workerDeps(kit, db, workerProducer, loadedCourses);
  await consumerGroup(kit, connection, group, deps, instances);
  if (group === 'ci-trackers') ciSweeper(kit, deps);
  const app = buildHttp(kit, { checks: { kafka: () => workerProducer.ping(), database: () => db.ping() } });
  const url = await listen(kit, app);
  kit.log.info({ group, instances, url }, 'worker started');
  return { url };
}
