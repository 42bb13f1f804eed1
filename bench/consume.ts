// 2. Consumption: one consumer-group process (KafkaConsumerGroup, no-op handler) reads the
// topic the gateway filled; Kafka's ConsumerPerformance reads the same topic.
import path from 'node:path';
import type { ConsumeInput, ConsumeResult } from './children/consumer-group.ts';
import type { BenchContext } from './lib/context.ts';
import { countRecords } from './lib/infra.ts';
import { consumerPerformance } from './lib/kafka-tools.ts';
import { runHelper } from './lib/processes.ts';
import type { IngestOutcome } from './ingest.ts';

const SECTION = 'consume';
const CONSUMER = path.join(import.meta.dirname, 'children', 'consumer-group.ts');

export async function consume(context: BenchContext, ingested: IngestOutcome): Promise<void> {
  const { report, broker } = context;
  const records = await countRecords(broker.brokers, ingested.topic);
  const ours = await runHelper<ConsumeResult>({
    name: 'consumer-group', script: CONSUMER, logDir: context.logDir, timeoutMs: 900_000,
    input: { brokers: broker.brokers, prefix: ingested.prefix, group: `bench-consume-${context.runId}`, expected: records, idsFiles: ingested.idsFiles, timeoutMs: 600_000 } satisfies ConsumeInput,
  });
  report.figure(SECTION, 'KafkaConsumerGroup records/s (no-op handler, 1 process)', Math.round(ours.recordsPerSecond), '/s',
    `${ours.handled} records in ${(ours.firstToLastMs / 1000).toFixed(1)} s first to last; join ${Math.round(ours.joinMs)} ms; ${ours.cpuSeconds.toFixed(1)} s CPU, peak RSS ${Math.round(ours.peakRssBytes / 1048576)} MiB`);
  report.check(SECTION, 'every record handled once', ours.handled === records && ours.duplicates === 0,
    `${ours.handled} handled of ${records}, ${ours.duplicates} duplicates`);
  report.check(SECTION, 'no accepted webhook lost', ours.missing === 0, `${ours.missing} accepted event ids missing (${ingested.accepted} accepted)`);

  const perf = await consumerPerformance({ libDir: broker.libDir, brokers: broker.brokers, topic: ingested.topic, records, group: `bench-perf-consumer-${context.runId}` });
  report.log(SECTION, perf.command);
  report.figure(SECTION, 'ConsumerPerformance records/s (fetch time)', Math.round(perf.fetchRecordsPerSecond), '/s',
    `${perf.records} records; ${Math.round(perf.recordsPerSecond)}/s with the ${perf.rebalanceMs} ms group join; ${perf.cpuSeconds.toFixed(1)} s CPU`);
  report.figure(SECTION, 'ratio KafkaConsumerGroup / ConsumerPerformance', Number((ours.recordsPerSecond / perf.fetchRecordsPerSecond).toFixed(3)), '');
}
