// 1. Ingestion: `gradeflow gateway` (acks=all, idempotent, snappy: its defaults) takes GitLab
// push webhooks from autocannon in another process, first at a fixed rate, then as fast as
// it can; Kafka's ProducerPerformance sends records of the same size to the same broker.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readStrings } from '../src/kafka/local/testing.ts';
import type { LoadInput, LoadResult } from './children/load-generator.ts';
import type { BenchContext } from './lib/context.ts';
import { reportUsage } from './lib/context.ts';
import { WEBHOOK_SECRET, countRecords, createTopic, writeCourse } from './lib/infra.ts';
import { producerPerformance } from './lib/kafka-tools.ts';
import { runHelper, spawnNode, waitHealthy } from './lib/processes.ts';
import type { Running } from './lib/processes.ts';
import { findFreePorts } from '../src/kafka/local/ports.ts';
import { ProcessMeter } from './lib/procstat.ts';
import { SERVICE_NODE_FLAGS } from '../src/cli/node-flags.ts';
import { startSystem } from './lib/system.ts';

const SECTION = 'ingest';

/** One load of the load generator, as the section chooses it. */
type Load = Omit<LoadInput, 'url' | 'secret' | 'course' | 'students' | 'runId' | 'idsFile'>;
const LOAD_GENERATOR = path.join(import.meta.dirname, 'children', 'load-generator.ts');
const HTTP_CEILING = path.join(import.meta.dirname, 'children', 'http-ceiling.ts');

export interface IngestOutcome {
  readonly prefix: string;
  readonly topic: string;
  readonly idsFiles: string[];
  readonly accepted: number;
}

export async function ingest(context: BenchContext): Promise<IngestOutcome> {
  const { options, report, broker } = context;
  const prefix = `bench-${context.runId}-ingest.`;
  const topic = `${prefix}gitlab.push`;
  const dir = path.join(context.runDir, 'ingest');
  const coursesDir = writeCourse(path.join(dir, 'courses'), { slug: 'bench', executor: 'none', deadline: new Date(Date.now() + 86_400_000) });
  const system = await startSystem({
    brokers: broker.brokers, topicPrefix: prefix, coursesDir, dataDir: path.join(dir, 'data'), logDir: context.logDir,
    logLevel: options.logLevel, cpuProfDir: options.cpuProfDir, groups: [],
  });
  const gateway = system.processes[0] as Running;
  // The same three loads go to the gateway and to both HTTP baselines.
  const loads = {
    warmup: { amount: options.warmupRequests, connections: 10 },
    fixed: { amount: options.fixedRate * options.fixedSeconds, connections: options.fixedConnections, overallRate: options.fixedRate },
    saturation: { amount: options.saturationRequests, connections: options.saturationConnections },
  } satisfies Record<string, Load>;
  const idsFiles: string[] = [];
  let accepted = 0;
  const load = async (name: string, input: Load) => {
    const idsFile = path.join(dir, `${name}.ids`);
    idsFiles.push(idsFile);
    const meter = new ProcessMeter();
    meter.add('gateway', gateway.pid);
    if (broker.pid !== null) meter.add('broker (JVM)', broker.pid);
    const result = await runHelper<LoadResult>({
      name: `load-generator-${name}`, script: LOAD_GENERATOR, logDir: context.logDir, timeoutMs: 900_000,
      input: { ...input, url: system.gatewayUrl, secret: WEBHOOK_SECRET, course: 'bench', students: 2400, runId: `${context.runId}-${name}`, idsFile } satisfies LoadInput,
      onStart: (running) => meter.add('load generator', running.pid, true),
    });
    accepted += result.accepted;
    const usage = meter.stop();
    const others = Object.entries(result.statusCounts).filter(([status]) => status !== '202').map(([s, n]) => `${n}x ${s}`);
    report.check(SECTION, `${name}: every webhook accepted`, result.accepted === input.amount && result.errors === 0,
      `${result.accepted}/${input.amount} answered 202${others.length > 0 ? `, ${others.join(', ')}` : ''}, ${result.errors} errors, ${result.timeouts} timeouts`);
    return { result, usage };
  };
  try {
    mkdirSync(dir, { recursive: true });
    // JIT and connection warm-up; its webhooks are on the topic too (and counted by `consume`).
    const warmup = await load('warmup', loads.warmup);
    const limit = warmup.result.rateLimitPerMinute;
    report.log(SECTION, limit === null ? 'the gateway announces no per-source webhook limit'
      : `the gateway limits webhooks to ${limit} a minute per source address${limit < 1_000_000 ? ' — GRADEFLOW_WEBHOOK_RATE_LIMIT was not honoured: expect 429s at saturation' : ''}`);

    const fixed = await load('fixed', loads.fixed);
    report.figure(SECTION, `accepted webhooks/s at a fixed ${options.fixedRate}/s`, Math.round(fixed.result.acceptedPerSecond), '/s',
      `${fixed.result.accepted} in ${fixed.result.durationSeconds.toFixed(1)} s, ${options.fixedConnections} connections, body ${fixed.result.bodyBytes} B`);
    report.figure(SECTION, `accept latency p50 at ${options.fixedRate}/s`, fixed.result.latencyMs.p50, 'ms');
    report.figure(SECTION, `accept latency p99 at ${options.fixedRate}/s`, fixed.result.latencyMs.p99, 'ms', `max ${fixed.result.latencyMs.max} ms; open loop, from each request's planned send time`);
    reportUsage(context, SECTION, fixed.usage.map((u) => ({ ...u, name: `${u.name} (fixed rate)` })));

    const saturation = await load('saturation', loads.saturation);
    report.figure(SECTION, 'accepted webhooks/s at saturation', Math.round(saturation.result.acceptedPerSecond), '/s',
      `${saturation.result.accepted} in ${saturation.result.durationSeconds.toFixed(1)} s, ${options.saturationConnections} connections`);
    report.figure(SECTION, 'accept latency p50 at saturation', saturation.result.latencyMs.p50, 'ms');
    report.figure(SECTION, 'accept latency p99 at saturation', saturation.result.latencyMs.p99, 'ms', `max ${saturation.result.latencyMs.max} ms`);
    reportUsage(context, SECTION, saturation.usage.map((u) => ({ ...u, name: `${u.name} (saturation)` })));

    // The size of what the gateway really writes: one envelope as it is on the topic.
    const sample = await readStrings({ brokers: broker.brokers, topic, groupId: `bench-${context.runId}-sample`, count: 1000 });
    const recordSize = Math.round(sample.reduce((sum, r) => sum + Buffer.byteLength(r.value), 0) / sample.length);
    const payloadFile = path.join(dir, 'envelopes.txt');
    writeFileSync(payloadFile, sample.map((r) => r.value).join('\n'));
    report.figure(SECTION, 'record value size written by the gateway', recordSize, 'B', 'mean of 1,000 records: JSON envelope of the mapped push');

    const perfTopic = `bench-${context.runId}-perf-${randomBytes(3).toString('hex')}`;
    await createTopic(broker.brokers, perfTopic, 12);
    const perf = await producerPerformance({ libDir: broker.libDir, brokers: broker.brokers, topic: perfTopic, records: options.perfRecords, recordSize });
    report.log(SECTION, perf.command);
    report.figure(SECTION, 'ProducerPerformance records/s (--record-size, random payload)', Math.round(perf.recordsPerSecond), '/s',
      `${perf.records} records, p50 ${perf.p50Ms} ms, p99 ${perf.p99Ms} ms, ${perf.cpuSeconds.toFixed(1)} s CPU`);
    report.figure(SECTION, 'ratio gateway (saturation) / ProducerPerformance', Number((saturation.result.acceptedPerSecond / perf.recordsPerSecond).toFixed(3)), '');

    // Kafka's own producer at the gateway's fixed rate, linger 0, its JIT warm-up left out: the
    // latency a produce of one record at a time has from this broker on this machine.
    const steadyTopic = `${perfTopic}-steady`;
    await createTopic(broker.brokers, steadyTopic, 12);
    const steadyRecords = options.fixedRate * options.fixedSeconds;
    const steadyMeter = new ProcessMeter();
    if (broker.pid !== null) steadyMeter.add('broker (JVM)', broker.pid);
    const steady = await producerPerformance({
      libDir: broker.libDir, brokers: broker.brokers, topic: steadyTopic, records: steadyRecords + options.warmupRequests, recordSize,
      throughput: options.fixedRate, warmupRecords: options.warmupRequests,
    });
    report.figure(SECTION, `ProducerPerformance latency p50 / p99 at ${options.fixedRate} records/s`, `${steady.p50Ms} / ${steady.p99Ms}`, 'ms',
      `linger.ms=0, steady state after ${options.warmupRequests} warm-up records, ${steady.cpuSeconds.toFixed(1)} s CPU`);
    reportUsage(context, SECTION, steadyMeter.stop().map((u) => ({ ...u, name: `${u.name} (ProducerPerformance at ${options.fixedRate}/s)` })));

    const perfTopic2 = `${perfTopic}-envelopes`;
    await createTopic(broker.brokers, perfTopic2, 12);
    const perfReal = await producerPerformance({ libDir: broker.libDir, brokers: broker.brokers, topic: perfTopic2, records: options.perfRecords, payloadFile });
    report.figure(SECTION, 'ProducerPerformance records/s (--payload-file of gateway envelopes)', Math.round(perfReal.recordsPerSecond), '/s',
      `compresses like the real records; p50 ${perfReal.p50Ms} ms, p99 ${perfReal.p99Ms} ms, ${perfReal.cpuSeconds.toFixed(1)} s CPU`);
    report.figure(SECTION, 'ratio gateway (saturation) / ProducerPerformance (envelopes)', Number((saturation.result.acceptedPerSecond / perfReal.recordsPerSecond).toFixed(3)), '');

    const [, ceilingFixed, ceilingSaturated] = await httpBaseline(context, dir, 'ceiling', {}, loads);
    report.figure(SECTION, `HTTP ceiling: accept latency p50 / p99 at ${options.fixedRate}/s`, `${ceilingFixed.latencyMs.p50} / ${ceilingFixed.latencyMs.p99}`, 'ms',
      `bare Fastify answering 202, same steady load: the load generator's and HTTP's own share of the gateway's latency`);
    report.figure(SECTION, 'HTTP ceiling: bare Fastify answering 202, same load', Math.round(ceilingSaturated.acceptedPerSecond), '/s',
      `p50 ${ceilingSaturated.latencyMs.p50} ms, p99 ${ceilingSaturated.latencyMs.p99} ms; no token, mapping or Kafka`);
    report.figure(SECTION, 'ratio gateway (saturation) / HTTP ceiling', Number((saturation.result.acceptedPerSecond / ceilingSaturated.acceptedPerSecond).toFixed(3)), '');
    report.figure(SECTION, 'ratio HTTP ceiling / ProducerPerformance', Number((ceilingSaturated.acceptedPerSecond / perf.recordsPerSecond).toFixed(3)), '',
      'the most any HTTP gateway in Node reaches against the producer tool here');

    const floorTopic = `${perfTopic}-floor`;
    await createTopic(broker.brokers, floorTopic, 12);
    const [floorWarmup, floorFixed, floorSaturated] = await httpBaseline(context, dir, 'floor', { KAFKA_BROKERS: broker.brokers.join(','), KAFKA_TOPIC: floorTopic }, loads);
    report.figure(SECTION, `HTTP-to-Kafka floor: accept latency p50 / p99 at ${options.fixedRate}/s`, `${floorFixed.latencyMs.p50} / ${floorFixed.latencyMs.p99}`, 'ms',
      `bare Fastify producing each body with the gateway's client and group commit before its 202, nothing else; gateway p99 / floor p99 ${(fixed.result.latencyMs.p99 / floorFixed.latencyMs.p99).toFixed(2)}`);
    report.figure(SECTION, 'HTTP-to-Kafka floor at saturation', Math.round(floorSaturated.acceptedPerSecond), '/s',
      `p50 ${floorSaturated.latencyMs.p50} ms, p99 ${floorSaturated.latencyMs.p99} ms; gateway / floor ${(saturation.result.acceptedPerSecond / floorSaturated.acceptedPerSecond).toFixed(3)}, floor / ProducerPerformance ${(floorSaturated.acceptedPerSecond / perf.recordsPerSecond).toFixed(3)}`);
    const floorOnTopic = await countRecords(broker.brokers, floorTopic);
    report.check(SECTION, 'HTTP-to-Kafka floor: every accepted body is on its topic', floorOnTopic === floorWarmup.accepted + floorFixed.accepted + floorSaturated.accepted,
      `${floorOnTopic} records, ${floorWarmup.accepted + floorFixed.accepted + floorSaturated.accepted} accepted`);
  } finally {
    const codes = await system.stop();
    report.check(SECTION, 'gateway stopped cleanly', codes.get('gateway') === 0, `exit ${codes.get('gateway')}`);
  }
  const onTopic = await countRecords(broker.brokers, topic);
  report.check(SECTION, 'every accepted webhook is on the topic', onTopic >= accepted, `${onTopic} records, ${accepted} accepted`);
  return { prefix, topic, idsFiles, accepted };
}

/** The same loads against a bare Fastify endpoint in a process of its own (http-ceiling.ts:
 * the ceiling without Kafka, the floor with it). */
async function httpBaseline(context: BenchContext, dir: string, kind: 'ceiling' | 'floor', env: Record<string, string>,
  loads: { warmup: Load; fixed: Load; saturation: Load }): Promise<[warmup: LoadResult, fixed: LoadResult, saturation: LoadResult]> {
  const [port] = await findFreePorts(1);
  const label = kind === 'ceiling' ? 'HTTP ceiling' : 'HTTP-to-Kafka floor';
  const server = spawnNode({ name: `http-${kind}`, script: HTTP_CEILING, env: { ...env, PORT: String(port) }, logDir: context.logDir, execArgv: SERVICE_NODE_FLAGS });
  try {
    await waitHealthy(server, `http://127.0.0.1:${port}/healthz`);
    const results: LoadResult[] = [];
    for (const [name, load] of Object.entries(loads)) {
      const meter = new ProcessMeter();
      meter.add(label, server.pid);
      if (kind === 'floor' && context.broker.pid !== null) meter.add('broker (JVM)', context.broker.pid);
      const result = await runHelper<LoadResult>({
        name: `load-generator-${kind}-${name}`, script: LOAD_GENERATOR, logDir: context.logDir, timeoutMs: 900_000,
        input: { ...load, url: `http://127.0.0.1:${port}`, secret: WEBHOOK_SECRET, course: 'bench', students: 2400, runId: `${context.runId}-${kind}-${name}`, idsFile: path.join(dir, `${kind}-${name}.ids`) } satisfies LoadInput,
      });
      if (name !== 'warmup') reportUsage(context, SECTION, meter.stop().map((u) => ({ ...u, name: `${u.name} (${kind}, ${name})` })));
      else meter.stop();
      context.report.check(SECTION, `${label} (${name}): every request answered 202`, result.accepted === load.amount && result.errors === 0, `${result.accepted}/${load.amount}, ${result.errors} errors`);
      results.push(result);
    }
    return results as [LoadResult, LoadResult, LoadResult];
  } finally {
    await server.stop(10_000);
  }
}
