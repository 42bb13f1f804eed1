// Runs the consumption section's consumers again and again on one topic, to compare two commits
// side by side: the full bench reads its topic once, in about 2 s, and that one figure moves by
// a third between runs. Starts its own broker, fills `gitlab.push` with N push events (the
// production producer and envelopes), then per round runs the KafkaConsumerGroup helper and the
// bare client, each in a new group and a new process, and prints records/s of each.
//
//   npm exec -- node bench/tools/consume-repeat.ts [--records 92000] [--rounds 5] [--only ours|bare]
//
// Run it from the checkout whose consumer is measured (e.g. a `git worktree` of the older commit).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/index.ts';
import { EVENTS } from '../../src/events/catalogue.ts';
import { mapPush } from '../../src/gateway/webhook-payload.ts';
import { KafkaEventProducer, connectionFrom, provisionTopics } from '../../src/kafka/index.ts';
import { gitlabFixture } from '../../test/support/gitlab.ts';
import type { BareConsumeInput, BareConsumeResult } from '../children/bare-consumer.ts';
import type { ConsumeInput, ConsumeResult } from '../children/consumer-group.ts';
import { countRecords, startBroker } from '../lib/infra.ts';
import { runHelper } from '../lib/processes.ts';

const { values } = parseArgs({ options: { records: { type: 'string', default: '92000' }, rounds: { type: 'string', default: '5' }, only: { type: 'string' } } });
const records = Number(values.records);
const rounds = Number(values.rounds);
if (!Number.isInteger(records) || records < 1 || !Number.isInteger(rounds) || rounds < 1) throw new Error('--records and --rounds take positive integers');
const runOurs = values.only !== 'bare';
const runBare = values.only !== 'ours';

const dir = mkdtempSync(path.join(tmpdir(), 'gradeflow-consume-repeat-'));
const broker = await startBroker(path.join(dir, 'kafka'), () => {});
try {
  const prefix = 'repeat.';
  const config = loadConfig({ KAFKA_BROKERS: broker.brokers.join(','), KAFKA_TOPIC_PREFIX: prefix, KAFKA_REPLICATION_FACTOR: '1', LOG_LEVEL: 'warn' });
  const connection = connectionFrom(config.kafka, broker.brokers);
  await provisionTopics(connection);
  const pushed = mapPush(gitlabFixture('push.json'));
  if (!pushed.ok) throw new Error(`the push fixture does not map: ${pushed.message}`);
  const producer = new KafkaEventProducer(connection, 'consume-repeat');
  for (let from = 0; from < records; from += 1000) {
    const batch: Promise<unknown>[] = [];
    for (let i = from; i < Math.min(records, from + 1000); i += 1) {
      const payload = { ...pushed.payload, course: 'bench', assignment: 'hw1', student: `s${i}`, deliveryId: `d${i}`, receivedAt: new Date().toISOString() };
      batch.push(producer.publish(EVENTS.gitlabPush, { key: `bench/hw1/s${i}`, payload }));
    }
    await Promise.all(batch);
  }
  await producer.close();
  const topic = `${prefix}gitlab.push`;
  const onTopic = await countRecords(broker.brokers, topic);
  const noIds = path.join(dir, 'no-ids');
  writeFileSync(noIds, '');
  console.log(`${onTopic} records on ${topic}`);
  for (let round = 1; round <= rounds; round += 1) {
    if (runOurs) {
      const ours = await runHelper<ConsumeResult>({
        name: 'consumer-group', script: path.join(import.meta.dirname, '../children/consumer-group.ts'), logDir: dir, timeoutMs: 300_000,
        input: { brokers: broker.brokers, prefix, group: `ours-${round}`, expected: onTopic, idsFiles: [noIds], timeoutMs: 200_000 } satisfies ConsumeInput,
      });
      console.log(`round ${round} KafkaConsumerGroup ${Math.round(ours.recordsPerSecond)} records/s (${ours.handled} in ${(ours.firstToLastMs / 1000).toFixed(2)} s, ${ours.cpuSeconds.toFixed(1)} s CPU, ${ours.duplicates} duplicates)`);
    }
    if (runBare) {
      const bare = await runHelper<BareConsumeResult>({
        name: 'bare-consumer', script: path.join(import.meta.dirname, '../children/bare-consumer.ts'), logDir: dir, timeoutMs: 300_000,
        input: { brokers: broker.brokers, topic, group: `bare-${round}`, expected: onTopic, timeoutMs: 200_000 } satisfies BareConsumeInput,
      });
      console.log(`round ${round} bare client ${Math.round(bare.recordsPerSecond)} records/s (${bare.read} in ${(bare.firstToLastMs / 1000).toFixed(2)} s)`);
    }
  }
} finally {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
