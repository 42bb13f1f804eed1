// `gradeflow gateway`: the webhook gateway alone (no database), for scaling ingestion out.
import { openDedupStore } from '../cache/index.ts';
import { buildHttp, listen } from './http.ts';
import { workerBrokers } from './kafka-runtime.ts';
import type { Kit } from './services.ts';
import { courses, kafka, producer } from './services.ts';

export async function startGateway(kit: Kit): Promise<{ url: string }> {
  const loadedCourses = await courses(kit);
  const connection = await kafka(kit, workerBrokers(kit.config));
  const dedup = await openDedupStore(kit.config.redis.url);
  kit.lifecycle.add('cache', () => dedup.close());
  const gatewayProducer = producer(kit, connection, 'gateway');
  const app = buildHttp(kit, {
    gateway: { courses: loadedCourses, producer: gatewayProducer, dedup },
    checks: { kafka: () => gatewayProducer.ping() },
  });
  const url = await listen(kit, app);
  kit.log.info({ url, courses: loadedCourses.length }, 'gateway started');
  return { url };
}
