// The envelope every event travels in, and the codec that validates it on both ends:
// `encodeEvent` refuses to write an invalid event, `decodeEvent` refuses to hand one to a
// handler. Decoding errors are permanent (retrying will not fix the bytes) and say why.
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors/index.ts';
import type { EventDefinition, EventType, PayloadInput, PayloadOf } from './catalogue.ts';
import { findDefinition, knownTypes } from './catalogue.ts';

export const EnvelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().min(1).max(100),
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  key: z.string().min(1).max(1000),
  source: z.string().min(1).max(200),
  payload: z.unknown(),
});

export interface Envelope<T extends EventType = EventType> {
  readonly id: string;
  readonly type: T;
  readonly version: number;
  readonly occurredAt: string;
  readonly key: string;
  readonly source: string;
  readonly payload: PayloadOf<T>;
}

/** Any event, discriminated by `type`, so narrowing on type narrows the payload too. */
export type AnyEnvelope = { [T in EventType]: Envelope<T> }[EventType];

export interface NewEvent<T extends EventType> {
  readonly key: string;
  readonly payload: PayloadInput<T>;
  /** Deterministic ids make redelivered work produce the same event, so consumers dedupe it. */
  readonly id?: string;
  readonly occurredAt?: Date;
}

export function createEnvelope<T extends EventType>(
  definition: EventDefinition<T>,
  source: string,
  event: NewEvent<T>,
): Envelope<T> {
  const payload = definition.schema.safeParse(event.payload);
  if (!payload.success) {
    throw new AppError('EVENT_INVALID', `refusing to produce an invalid ${definition.type}@${definition.version}: ${z.prettifyError(payload.error)}`);
  }
  return {
    id: event.id ?? randomUUID(),
    type: definition.type,
    version: definition.version,
    occurredAt: (event.occurredAt ?? new Date()).toISOString(),
    key: event.key,
    source,
    payload: payload.data as PayloadOf<T>,
  };
}

export function encodeEvent<T extends EventType>(envelope: Envelope<T>): Buffer {
  return Buffer.from(JSON.stringify(envelope));
}

// Fatal: bytes that are not UTF-8 are refused with a reason instead of being read as U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses and validates a record value; throws a permanent AppError saying what is wrong. */
export function decodeEvent(value: Buffer | string | null | undefined): AnyEnvelope {
  if (value === null || value === undefined || value.length === 0) {
    throw new AppError('EVENT_EMPTY', 'record has no value');
  }
  let text: string;
  try {
    text = typeof value === 'string' ? value : utf8.decode(value);
  } catch {
    throw new AppError('EVENT_NOT_UTF8', `record value is not UTF-8 text (${value.length} bytes)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AppError('EVENT_NOT_JSON', `record value is not JSON: ${(error as Error).message}`);
  }
  const envelope = EnvelopeSchema.safeParse(json);
  if (!envelope.success) {
    throw new AppError('EVENT_ENVELOPE_INVALID', `record is not an event envelope: ${z.prettifyError(envelope.error)}`);
  }
  const { type, version } = envelope.data;
  const definition = findDefinition(type, version);
  if (definition === undefined) {
    throw new AppError('EVENT_UNKNOWN_TYPE', `unknown event ${type}@${version}; known: ${knownTypes().join(', ')}`);
  }
  const payload = definition.schema.safeParse(envelope.data.payload);
  if (!payload.success) {
    throw new AppError('EVENT_PAYLOAD_INVALID', `invalid ${type}@${version} payload: ${z.prettifyError(payload.error)}`);
  }
  return { ...envelope.data, payload: payload.data } as AnyEnvelope;
}

/** What a handler throws for a valid event that does not belong on its topic: permanent, so the
 * record is dead-lettered (to be inspected and re-driven where it belongs), never dropped. */
export function unexpectedEvent(event: { readonly type: string; readonly version: number; readonly id: string }, topic: string, expected: string): AppError {
  return new AppError('EVENT_WRONG_TYPE', `${event.type}@${event.version} (event ${event.id}) does not belong on ${topic}: expected ${expected}`);
}

/** A UUID (v4 layout) derived from a name, for ids that must be stable across retries. */
export function stableId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
