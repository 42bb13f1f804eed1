// The HTTP ceiling of the ingestion section: the least a webhook endpoint can do on this machine
// — Fastify with its default JSON parser, answering 202 with a new event id — and nothing more
// (no token check, no mapping, no Kafka). The load generator posts the same webhooks to it as to
// the gateway, so "gateway / ceiling" says how much of the gateway's time is its own work, and
// "ceiling / ProducerPerformance" whether any HTTP gateway could reach a ratio to the producer
// tool at all on these cores. PORT from the environment; stops on SIGTERM.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error(`PORT must be a port number, got "${process.env.PORT}"`);

const app = Fastify({ logger: false, bodyLimit: 1_048_576 });
app.get('/healthz', async () => ({ status: 'ok' }));
app.post('/webhooks/gitlab', async (_request, reply) => reply.code(202).send({ status: 'accepted', eventId: randomUUID() }));
await app.listen({ host: '127.0.0.1', port });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
