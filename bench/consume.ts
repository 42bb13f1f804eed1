// 2. Consumption: one consumer-group process (KafkaConsumerGroup, no-op handler) reads the
// topic the gateway filled; Kafka's ConsumerPerformance reads the same topic.
import path from 'node:path';
import type { BareConsumeInput, BareConsumeResult } from './children/bare-consumer.ts';
import type { ConsumeInput, ConsumeResult } from './children/consumer-group.ts';
import type { BenchContext } from './lib/context.ts';
import { countRecords } from './lib/infra.ts';
import { consumerPerformance } from './lib/kafka-tools.ts';
import { cpuProfileFlags, runHelper } from './lib/processes.ts';
import type { IngestOutcome } from './ingest.ts';

const SECTION = 'consume';
const CONSUMER = path.join(import.meta.dirname, 'children', 'consumer-group.ts');
const BARE_CONSUMER = path.join(import.meta.dirname, 'children', 'bare-consumer.ts');

export async function consume(context: BenchContext, ingested: IngestOutcome): Promise<void> {
  const { report, broker } = context;
  const records = await countRecords(broker.brokers, ingested.topic);
  // The client's ceiling: what a consumer on @platformatic/kafka reaches doing nothing per record.
  // It reads first, so that both consumers compared read a topic that was read before (until
  // 2026-12-03 only ConsumerPerformance, reading after ours, did).
  const bare = await runHelper<BareConsumeResult>({
    name: 'bare-consumer', script: BARE_CONSUMER, logDir: context.logDir, timeoutMs: 900_000,
    execArgv: cpuProfileFlags(context.options.cpuProfDir, 'bare-consumer'),
    input: { brokers: broker.brokers, topic: ingested.topic, group: `bench-bare-consumer-${context.runId}`, expected: records, timeoutMs: 600_000 } satisfies BareConsumeInput,
  });
  report.check(SECTION, 'bare client read every record', bare.read === records, `${bare.read} read of ${records}`);
  report.figure(SECTION, 'client ceiling: bare @platformatic/kafka Consumer, nothing per record', Math.round(bare.recordsPerSecond), '/s',
    `${bare.read} records in ${(bare.firstToLastMs / 1000).toFixed(1)} s first to last; ${bare.cpuSeconds.toFixed(1)} s CPU; no decoding, validation or per-record commits`);
  const ours = await runHelper<ConsumeResult>({
    name: 'consumer-group', script: CONSUMER, logDir: context.logDir, timeoutMs: 900_000,
    execArgv: cpuProfileFlags(context.options.cpuProfDir, 'consumer-group'),
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

  report.figure(SECTION, 'ratio KafkaConsumerGroup / client ceiling', Number((ours.recordsPerSecond / bare.recordsPerSecond).toFixed(3)), '');
  report.figure(SECTION, 'ratio client ceiling / ConsumerPerformance', Number((bare.recordsPerSecond / perf.fetchRecordsPerSecond).toFixed(3)), '',
    'the most any consumer on this client reaches against the tool here');
}
