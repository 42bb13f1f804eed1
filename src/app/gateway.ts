// `gradeflow gateway`: the webhook gateway alone (no database), for scaling ingestion out.
import { openDedupStore } from '../cache/index.ts';
import { buildHttp, listen } from './http.ts';
import { workerBrokers } from './kafka-runtime.ts';
import type { Kit } from './services.ts';
import { courses, gatewaySpool, kafka, producer } from './services.ts';

export async function startGateway(kit: Kit): Promise<{ url: string }> {
  const loadedCourses = await courses(kit);
  const connection = await kafka(kit, workerBrokers(kit.config));
  const dedup = await openDedupStore(kit.config.redis.url);
  kit.lifecycle.add('cache', () => dedup.close());
  const gatewayProducer = producer(kit, connection, 'gateway');
  const { spool, lateDeliveries } = await gatewaySpool(kit, gatewayProducer);
  const app = buildHttp(kit, {
    gateway: { courses: loadedCourses, producer: gatewayProducer, dedup, spool, lateDeliveries },
    // Ready while webhooks can be taken: Kafka down is what the spool is for, a full spool is not.
    checks: { spool: async () => { if (spool.bytes >= kit.config.spool.maxBytes) throw new Error('spool full'); } },
  });
  const url = await listen(kit, app);
  kit.log.info({ url, courses: loadedCourses.length }, 'gateway started');
  return { url };
}
