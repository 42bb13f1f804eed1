// `gradeflow start` (npm start): the whole system in one process on its embedded defaults —
// Kafka broker when KAFKA_BROKERS is unset, PGlite when DATABASE_URL is unset, in-memory cache
// when REDIS_URL is unset — with the gateway, the API and every consumer group.
import { openDedupStore } from '../cache/index.ts';
import type { GroupName } from '../pipeline/index.ts';
import { GROUPS } from '../pipeline/index.ts';
import { printBanner } from './banner.ts';
import { buildHttp, listen } from './http.ts';
import { kafkaBrokers } from './kafka-runtime.ts';
import type { Kit } from './services.ts';
import { ciSweeper, consumerGroup, gatewaySpool, courses, database, kafka, producer, reconcileSchedule, workerDeps } from './services.ts';

export async function startAll(kit: Kit): Promise<{ url: string }> {
  const loadedCourses = await courses(kit);
  const { brokers, embedded } = await kafkaBrokers(kit.config, kit.lifecycle, kit.log);
  const connection = await kafka(kit, brokers);
  const db = await database(kit);
  const dedup = await openDedupStore(kit.config.redis.url);
  kit.lifecycle.add('cache', () => dedup.close());
  const gatewayProducer = producer(kit, connection, 'gateway');
  const { spool, lateDeliveries } = await gatewaySpool(kit, gatewayProducer);
  const workerProducer = producer(kit, connection, 'workers');
  const deps = workerDeps(kit, db, workerProducer, loadedCourses);
  await Promise.all((Object.keys(GROUPS) as GroupName[]).map((name) => consumerGroup(kit, connection, name, deps)));
  ciSweeper(kit, deps);
  reconcileSchedule(kit, deps, loadedCourses);
  const app = buildHttp(kit, {
    gateway: { courses: loadedCourses, producer: gatewayProducer, dedup, spool, lateDeliveries },
    api: deps,
    checks: { kafka: () => gatewayProducer.ping(), database: () => db.ping() },
  });
  const url = await listen(kit, app);
  printBanner(kit, { url, brokers, embeddedKafka: embedded, database: db.description, cache: dedup.kind, courses: loadedCourses });
  return { url };
}
