// Kafka's own performance tools, the baselines: org.apache.kafka.tools.ProducerPerformance and
// ConsumerPerformance from the kafka-tools jar of the same cache the broker runs from.
import { spawn } from 'node:child_process';
import { track } from './processes.ts';
import { once } from 'node:events';
import { ProcessMeter } from './procstat.ts';
import type { ProcessUsage } from './procstat.ts';

interface JavaRun {
  readonly output: string;
  readonly code: number | null;
  readonly usage: ProcessUsage | undefined;
}

async function runJava(libDir: string, mainClass: string, args: readonly string[], timeoutMs: number): Promise<JavaRun> {
  const child = track(spawn('java', ['-Xmx512m', '-cp', `${libDir}/*`, mainClass, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const meter = new ProcessMeter();
  if (child.pid !== undefined) meter.add(mainClass.split('.').pop() ?? 'java', child.pid, true);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  // Sample right before exit: once the JVM is gone its /proc entry is too.
  const sampler = setInterval(() => meter.sample(), 100);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  clearInterval(sampler);
  return { output, code, usage: meter.stop()[0] };
}

export interface ProducerPerfResult {
  readonly records: number;
  readonly recordsPerSecond: number;
  readonly mbPerSecond: number;
  readonly avgLatencyMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuSeconds: number;
  readonly command: string;
}

export interface ProducerPerfOptions {
  readonly libDir: string;
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly records: number;
  /** --record-size; or payloadFile: --payload-file with one record value per line. */
  readonly recordSize?: number;
  readonly payloadFile?: string;
  /** --throughput: records/s the tool paces itself to (default -1: as fast as it can). At a
   * steady rate it sends with linger.ms=0, as the gateway does, so its latency compares. */
  readonly throughput?: number;
  /** --warmup-records: the first records, left out of the steady-state summary it prints last. */
  readonly warmupRecords?: number;
}

export function producerPerfArgs(options: ProducerPerfOptions): string[] {
  const payload = options.payloadFile === undefined ? ['--record-size', String(options.recordSize ?? 1000)] : ['--payload-file', options.payloadFile];
  const paced = options.throughput !== undefined && options.throughput > 0;
  return [
    '--topic', options.topic, '--num-records', String(options.records), ...payload, '--throughput', String(paced ? options.throughput : -1),
    '--producer-props', `bootstrap.servers=${options.brokers.join(',')}`, 'acks=all', 'enable.idempotence=true', 'compression.type=snappy',
    ...(paced ? ['linger.ms=0'] : []),
    ...(options.warmupRecords === undefined ? [] : ['--warmup-records', String(options.warmupRecords)]),
  ];
}

export async function producerPerformance(options: ProducerPerfOptions): Promise<ProducerPerfResult> {
  const args = producerPerfArgs(options);
  const run = await runJava(options.libDir, 'org.apache.kafka.tools.ProducerPerformance', args, 600_000);
  // "N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, P50 ms 50th, P95 ms 95th, P99 ms 99th, ...";
  // with --warmup-records a last line "N steady state records sent, ..." leaves the warm-up out.
  const summary = [...run.output.matchAll(/(\d+) (?:steady state )?records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, [\d.]+ ms max latency, (\d+) ms 50th, \d+ ms 95th, (\d+) ms 99th/g)].pop();
  if (run.code !== 0 || summary === undefined) throw new Error(`ProducerPerformance failed (exit ${run.code}):\n${run.output.slice(-3000)}`);
  const n = (i: number) => Number(summary[i]);
  return {
    records: n(1), recordsPerSecond: n(2), mbPerSecond: n(3), avgLatencyMs: n(4), p50Ms: n(5), p99Ms: n(6),
    cpuSeconds: run.usage?.cpuSeconds ?? Number.NaN,
    command: `java -cp '<libdir>/*' org.apache.kafka.tools.ProducerPerformance ${args.join(' ')}`,
  };
}

export interface ConsumerPerfResult {
  readonly records: number;
  /** Over the whole run, group join included. */
  readonly recordsPerSecond: number;
  /** Over fetching only (rebalance time excluded): what our consumer's figure is compared with. */
  readonly fetchRecordsPerSecond: number;
  readonly rebalanceMs: number;
  readonly fetchMs: number;
  readonly cpuSeconds: number;
  readonly command: string;
}

export async function consumerPerformance(options: { libDir: string; brokers: readonly string[]; topic: string; records: number; group: string }): Promise<ConsumerPerfResult> {
  const args = ['--bootstrap-server', options.brokers.join(','), '--topic', options.topic, '--num-records', String(options.records), '--group', options.group, '--timeout', '60000'];
  const run = await runJava(options.libDir, 'org.apache.kafka.tools.ConsumerPerformance', args, 600_000);
  // Header: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const line = run.output.split('\n').map((l) => l.trim()).filter((l) => /^\d{4}-\d{2}-\d{2} .*, .*, /.test(l)).pop();
  const fields = line?.split(', ') ?? [];
  if (run.code !== 0 || fields.length < 10) throw new Error(`ConsumerPerformance failed (exit ${run.code}):\n${run.output.slice(-3000)}`);
  const f = (i: number) => Number(fields[i]);
  return {
    records: f(4), recordsPerSecond: f(5), rebalanceMs: f(6), fetchMs: f(7), fetchRecordsPerSecond: f(9),
    cpuSeconds: run.usage?.cpuSeconds ?? Number.NaN,
    command: `java -cp '<libdir>/*' org.apache.kafka.tools.ConsumerPerformance ${args.join(' ')}`,
  };
}
