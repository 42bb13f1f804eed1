// The HTTP baselines of the ingestion section: the least a webhook endpoint can do on this
// machine, Fastify with its default JSON parser answering 202 with a new event id. The load
// generator posts the same webhooks to it as to the gateway.
//
// - ceiling (no KAFKA_BROKERS): nothing more — no token check, mapping or Kafka. "gateway /
//   ceiling" says how much of the gateway's time is its own work, and "ceiling /
//   ProducerPerformance" whether any HTTP gateway could reach a ratio to the producer tool here.
// - floor (KAFKA_BROKERS and KAFKA_TOPIC set): the body, as it came, is produced to Kafka before
//   the answer — the same client (@platformatic/kafka, acks=all, idempotent, snappy) with the
//   same group commit the gateway uses (SendBatcher), keyed by the Idempotency-Key, and nothing
//   else: no guards, validation, mapping, dedup, spool, metrics or logging. What any HTTP-to-
//   Kafka gateway on this client gives here; the gateway's accept latency is compared with it.
//
// PORT from the environment; stops on SIGTERM.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { Producer, compatibilityPartitioner } from '@platformatic/kafka';
import { recordSerializers } from '../../src/kafka/client-options.ts';
import type { RecordValue } from '../../src/kafka/client-options.ts';
import { SendBatcher } from '../../src/kafka/send-batcher.ts';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error(`PORT must be a port number, got "${process.env.PORT}"`);
const brokers = process.env.KAFKA_BROKERS;
const topic = process.env.KAFKA_TOPIC;

const producer = brokers === undefined || topic === undefined ? null : new Producer<string, RecordValue, string, string>({
  clientId: 'bench-http-floor', bootstrapBrokers: brokers.split(','), serializers: recordSerializers,
  idempotent: true, acks: -1, compression: 'snappy', partitioner: compatibilityPartitioner, autocreateTopics: false,
});
const batcher = producer === null ? null : new SendBatcher(producer);

const app = Fastify({ logger: false, bodyLimit: 1_048_576 });
if (batcher !== null) app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
app.get('/healthz', async () => ({ status: 'ok' }));
app.post('/webhooks/gitlab', async (request, reply) => {
  const eventId = randomUUID();
  if (batcher !== null && topic !== undefined) {
    const key = request.headers['idempotency-key'];
    await batcher.send({ topic, key: typeof key === 'string' ? key : eventId, value: request.body as string, headers: {} });
  }
  return reply.code(202).send({ status: 'accepted', eventId });
});
await app.listen({ host: '127.0.0.1', port });
process.once('SIGTERM', () => void app.close().then(() => producer?.close()).then(() => process.exit(0)));
