// `gradeflow dlq list|show|redrive`: look at the dead-letter topic and send letters back.
//
//   list    [filters] [--json]         one line per letter: where it is, when, where it came
//                                      from, which group failed, the error code and message
//   show    <partition>:<offset>       one letter: every header and the value, pretty-printed
//   redrive [filters] [--dry-run] [--force]
//                                      send matching letters back to their original topic, with
//                                      the dlq-* and retry-* headers removed and `redriven-from`
//                                      added; progress on stderr
//   filters: --topic T (logical or full name) --group G --code C --since 2h|30m|7d|<ISO time>
//
// Redrive is idempotent-ish: after sending a letter back it writes a marker record, keyed by the
// letter's partition:offset:timestamp, to the compacted topic `<prefix>dead-letter.redriven`,
// and skips letters that have one (--force sends them again). Markers rather than a consumer
// group position, because redrive is usually filtered (one group, one code): a single position
// cannot say "these were sent back, the ones in between were not". A crash between sending a
// letter and writing its marker sends that one letter twice on the next run; every handler is
// idempotent, so that is harmless. A redriven record goes to the end of its original topic and
// partition (same key, same partition), so every group reading that topic sees it again, not
// only the one that failed: the others recognise it by event id and do nothing.
import { parseArgs } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import { workerBrokers } from '../app/kafka-runtime.ts';
import type { Config } from '../config/index.ts';
import { TOPICS, topicName } from '../events/index.ts';
import type { KafkaConnection } from '../kafka/client-options.ts';
import { connectionFrom } from '../kafka/client-options.ts';
import type { DeadLetterSummary } from '../kafka/dead-letter.ts';
import { DLQ_HEADER, REDRIVEN_TOPIC, deadLetterTopic, readDeadLetter, redriveHeaders } from '../kafka/dead-letter.ts';
import { KafkaEventProducer } from '../kafka/producer.ts';
import { provisionTopics } from '../kafka/provision.ts';
import type { StoredRecord } from '../kafka/topic-reader.ts';
import { readTopicToEnd } from '../kafka/topic-reader.ts';

export interface DlqOutput {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export const DLQ_USAGE = `usage: gradeflow dlq list [--topic T] [--group G] [--code C] [--since 2h|<ISO time>] [--json]
       gradeflow dlq show <partition>:<offset>
       gradeflow dlq redrive [--topic T] [--group G] [--code C] [--since …] [--dry-run] [--force]`;

class DlqUsageError extends Error {}

interface Filters {
  readonly topic?: string;
  readonly group?: string;
  readonly code?: string;
  /** Milliseconds since the epoch: letters written at or after. */
  readonly since?: number;
}

interface Command {
  readonly name: 'list' | 'show' | 'redrive';
  readonly filters: Filters;
  readonly target?: { partition: number; offset: bigint };
  readonly json: boolean;
  readonly dryRun: boolean;
  readonly force: boolean;
}

interface Letter extends StoredRecord {
  readonly id: string;
  readonly markerKey: string;
  readonly summary: DeadLetterSummary;
}

/** Runs one dlq command; resolves to the exit code (2: bad usage, 1: nothing to show). */
export async function runDlq(config: Config, args: readonly string[], out: DlqOutput): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(args);
  } catch (error) {
    if (!(error instanceof DlqUsageError) && !(error instanceof TypeError)) throw error;
    out.stderr.write(`gradeflow dlq: ${error.message}\n${DLQ_USAGE}\n`);
    return 2;
  }
  const connection = connectionFrom(config.kafka, workerBrokers(config));
  // Both exist on any cluster Gradeflow started on; created here so the tool works on a fresh one.
  await provisionTopics(connection, [TOPICS.deadLetter, REDRIVEN_TOPIC]);
  if (command.name === 'show') return show(connection, command, out);
  const [letters, redriven] = await Promise.all([readLetters(connection), readRedriven(connection)]);
  const selected = letters.filter((letter) => matches(letter, command.filters, connection.topicPrefix));
  if (command.name === 'list') return list(selected, redriven, command, connection.topicPrefix, out);
  return redrive(connection, selected, redriven, command, out);
}

function parseCommand(args: readonly string[]): Command {
  const { positionals, values } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      topic: { type: 'string' }, group: { type: 'string' }, code: { type: 'string' }, since: { type: 'string' },
      json: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, force: { type: 'boolean' },
    },
  });
  const [name, target, ...extra] = positionals;
  if (name !== 'list' && name !== 'show' && name !== 'redrive') throw new DlqUsageError(name === undefined ? 'missing command' : `unknown command "${name}"`);
  if (extra.length > 0 || (name !== 'show' && target !== undefined)) throw new DlqUsageError(`unexpected argument "${extra[0] ?? target}"`);
  const filters: Filters = {
    ...(values.topic === undefined ? {} : { topic: values.topic }),
    ...(values.group === undefined ? {} : { group: values.group }),
    ...(values.code === undefined ? {} : { code: values.code }),
    ...(values.since === undefined ? {} : { since: parseSince(values.since, Date.now()) }),
  };
  return {
    name, filters, json: values.json === true, dryRun: values['dry-run'] === true, force: values.force === true,
    ...(name === 'show' ? { target: parseTarget(target) } : {}),
  };
}

function parseTarget(text: string | undefined): { partition: number; offset: bigint } {
  const match = /^(\d+):(\d+)$/.exec(text ?? '');
  if (match === null) throw new DlqUsageError('show needs <partition>:<offset>, e.g. 0:42 (see `gradeflow dlq list`)');
  return { partition: Number(match[1]), offset: BigInt(match[2] ?? '0') };
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseSince(text: string, now: number): number {
  const relative = /^(\d+)([smhd])$/.exec(text);
  if (relative !== null) return now - Number(relative[1]) * (UNIT_MS[relative[2] ?? 's'] ?? 1_000);
  const absolute = Date.parse(text);
  if (Number.isNaN(absolute)) throw new DlqUsageError(`--since: expected a duration like 30m, 2h, 7d or an ISO time, got "${text}"`);
  return absolute;
}

async function readLetters(connection: KafkaConnection): Promise<Letter[]> {
  const records = await readTopicToEnd(connection, deadLetterTopic(connection.topicPrefix));
  return records.map((record) => ({
    ...record,
    id: `${record.partition}:${record.offset}`,
    markerKey: `${record.partition}:${record.offset}:${record.timestamp}`,
    summary: readDeadLetter(record.headers),
  }));
}

async function readRedriven(connection: KafkaConnection): Promise<Set<string>> {
  const markers = await readTopicToEnd(connection, topicName(connection.topicPrefix, REDRIVEN_TOPIC.name));
  return new Set(markers.flatMap((marker) => (marker.key === null ? [] : [marker.key])));
}

function matches(letter: Letter, filters: Filters, prefix: string): boolean {
  const { summary } = letter;
  if (filters.topic !== undefined && summary.originalTopic !== filters.topic && summary.originalTopic !== `${prefix}${filters.topic}`) return false;
  if (filters.group !== undefined && summary.group !== filters.group) return false;
  if (filters.code !== undefined && summary.code !== filters.code) return false;
  return filters.since === undefined || Number(letter.timestamp) >= filters.since;
}

function list(letters: Letter[], redriven: Set<string>, command: Command, prefix: string, out: DlqOutput): number {
  if (command.json) {
    for (const letter of letters) out.stdout.write(`${JSON.stringify({ id: letter.id, time: iso(letter.timestamp), key: letter.key, ...letter.summary, redriven: redriven.has(letter.markerKey) })}\n`);
    return 0;
  }
  const rows = letters.map((letter) => {
    const s = letter.summary;
    const topic = s.originalTopic.startsWith(prefix) ? s.originalTopic.slice(prefix.length) : s.originalTopic;
    return [letter.id, iso(letter.timestamp), topic, s.group, s.code, String(s.attempts), redriven.has(letter.markerKey) ? 'yes' : '', oneLine(s.message, 100)];
  });
  out.stdout.write(table([['OFFSET', 'TIME', 'TOPIC', 'GROUP', 'CODE', 'ATTEMPTS', 'REDRIVEN', 'MESSAGE'], ...rows]));
  out.stdout.write(`${letters.length} dead letter(s)\n`);
  return 0;
}

async function show(connection: KafkaConnection, command: Command, out: DlqOutput): Promise<number> {
  const letters = await readLetters(connection);
  const letter = letters.find((l) => l.partition === command.target?.partition && l.offset === command.target.offset);
  if (letter === undefined) {
    out.stderr.write(`gradeflow dlq: no dead letter at ${command.target?.partition}:${command.target?.offset} in ${deadLetterTopic(connection.topicPrefix)}\n`);
    return 1;
  }
  const lines = [`dead letter ${letter.id} of ${deadLetterTopic(connection.topicPrefix)}, written ${iso(letter.timestamp)}`, `key: ${letter.key ?? '(none)'}`, 'headers:'];
  for (const [name, value] of [...letter.headers].sort(([a], [b]) => a.localeCompare(b))) lines.push(`  ${name}: ${value}`);
  lines.push('value:', pretty(letter.value));
  out.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

async function redrive(connection: KafkaConnection, letters: Letter[], redriven: Set<string>, command: Command, out: DlqOutput): Promise<number> {
  const pending = letters.filter((letter) => command.force || !redriven.has(letter.markerKey));
  const unroutable = pending.filter((letter) => letter.summary.originalTopic === '');
  const todo = pending.filter((letter) => letter.summary.originalTopic !== '');
  const skipped = letters.length - pending.length;
  if (command.dryRun) {
    for (const letter of todo) out.stdout.write(`would redrive ${letter.id} -> ${letter.summary.originalTopic}\n`);
    out.stdout.write(`${todo.length} to redrive, ${skipped} already redriven, ${unroutable.length} without an original topic\n`);
    return 0;
  }
  const producer = new KafkaEventProducer(connection, 'dlq-redrive');
  const bar = new SingleBar({ stream: out.stderr, format: 'redrive {bar} {value}/{total}', hideCursor: true }, Presets.shades_classic);
  bar.start(todo.length, 0);
  try {
    for (const letter of todo) {
      await sendBack(producer, connection, letter);
      bar.increment();
    }
  } finally {
    bar.stop();
    await producer.close();
  }
  for (const letter of unroutable) out.stderr.write(`gradeflow dlq: ${letter.id} has no ${DLQ_HEADER.topic} header; left alone\n`);
  out.stdout.write(`redriven ${todo.length}, skipped ${skipped} already redriven${unroutable.length > 0 ? `, ${unroutable.length} without an original topic` : ''}\n`);
  return 0;
}

/** One letter back to its topic, then its marker: in this order, so a crash between the two
 * repeats the letter (harmless) rather than losing it. One at a time keeps a key's order. */
async function sendBack(producer: KafkaEventProducer, connection: KafkaConnection, letter: Letter): Promise<void> {
  const from = `${deadLetterTopic(connection.topicPrefix)}:${letter.id}`;
  await producer.sendRaw({ topic: letter.summary.originalTopic, key: letter.key ?? undefined, value: letter.value ?? undefined, headers: redriveHeaders(letter.headers, from) });
  const marker = { redrivenAt: new Date().toISOString(), to: letter.summary.originalTopic, group: letter.summary.group };
  await producer.sendRaw({ topic: topicName(connection.topicPrefix, REDRIVEN_TOPIC.name), key: letter.markerKey, value: JSON.stringify(marker), headers: {} });
}

function iso(timestamp: bigint): string {
  return new Date(Number(timestamp)).toISOString();
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** JSON pretty-printed, other text as it is, bytes that are not UTF-8 as hex (never mangled). */
function pretty(value: Buffer | null): string {
  if (value === null) return '(none)';
  let text: string;
  try {
    text = strictUtf8.decode(value);
  } catch {
    return `(${value.length} bytes, not UTF-8) ${value.toString('hex')}`;
  }
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}
