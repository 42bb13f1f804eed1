// 3. Per-key concurrency: a handler of 0-5 ms, 1 partition, K keys, N records; ordered-by-key
// concurrent processing versus partition-serial, both checked for per-key order, loss,
// duplicates and committed offsets.
import path from 'node:path';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { EVENTS, createEnvelope, encodeEvent } from '../src/events/index.ts';
import type { PerKeyInput, PerKeyResult } from './children/per-key.ts';
import type { BenchContext } from './lib/context.ts';
import { createTopic } from './lib/infra.ts';
import { runHelper } from './lib/processes.ts';

const SECTION = 'per-key';
const CHILD = path.join(import.meta.dirname, 'children', 'per-key.ts');

/** Deterministic shuffle (mulberry32), so every run sends the keys in the same order. */
function shuffled<T>(items: T[], seed = 42): T[] {
  let a = seed;
  const random = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

async function fill(brokers: readonly string[], topic: string, messages: number, keys: number): Promise<void> {
  const producer = new Producer({ clientId: 'gradeflow-bench-per-key', bootstrapBrokers: [...brokers], serializers: stringSerializers, idempotent: true, acks: -1, compression: 'snappy' });
  try {
    const students = shuffled(Array.from({ length: messages }, (_, i) => i % keys));
    for (let from = 0; from < messages; from += 500) {
      const batch = students.slice(from, from + 500).map((student, i) => {
        const envelope = createEnvelope(EVENTS.pipelineStatus, 'bench', {
          key: `bench:final:k${student}`,
          payload: {
            submissionId: '00000000-0000-4000-8000-000000000000', course: 'bench', assignment: 'final', student: `k${student}`,
            commitSha: 'a'.repeat(40), state: 'queued', reason: `record ${from + i}`,
          },
        });
        return { topic, key: envelope.key, value: encodeEvent(envelope).toString('utf8') };
      });
      await producer.send({ messages: batch });
    }
  } finally {
    await producer.close();
  }
}

export async function perKey(context: BenchContext): Promise<void> {
  const { options, report, broker } = context;
  const prefix = `bench-${context.runId}-perkey.`;
  await createTopic(broker.brokers, `${prefix}pipeline.status`, 1);
  await fill(broker.brokers, `${prefix}pipeline.status`, options.perKeyMessages, options.perKeyKeys);
  report.log(SECTION, `${options.perKeyMessages} records over ${options.perKeyKeys} keys on 1 partition; handler 0-5 ms (mean 2.5 ms + timer granularity)`);
  const results: PerKeyResult[] = [];
  for (const mode of ['partition', 'key'] as const) {
    const result = await runHelper<PerKeyResult>({
      name: `per-key-${mode}`, script: CHILD, logDir: context.logDir, timeoutMs: 900_000,
      input: { brokers: broker.brokers, prefix, group: `bench-perkey-${mode}-${context.runId}`, mode, messages: options.perKeyMessages, timeoutMs: 600_000 } satisfies PerKeyInput,
    });
    results.push(result);
    report.figure(SECTION, `${mode === 'key' ? 'ordered-by-key concurrent' : 'partition-serial'} records/s`, Math.round(result.messagesPerSecond), '/s',
      `${result.handled} in ${(result.durationMs / 1000).toFixed(2)} s, up to ${result.maxConcurrent} handlers at once`);
    report.check(SECTION, `${mode}: per-key order, none lost or twice, all committed`,
      result.orderViolations === 0 && result.duplicates === 0 && result.missing === 0 && result.handled === options.perKeyMessages && result.uncommitted === 0,
      `${result.orderViolations} out of order, ${result.duplicates} duplicates, ${result.missing} missing, ${result.uncommitted} uncommitted`);
  }
  const [serial, keyed] = results;
  if (serial !== undefined && keyed !== undefined) {
    report.figure(SECTION, 'speed-up per-key / partition-serial', Number((keyed.messagesPerSecond / serial.messagesPerSecond).toFixed(1)), 'x',
      'both through src/kafka KafkaConsumerGroup');
  }
}
