// The catalogue: every (type, version) the system produces or accepts, the topic it lives on
// and the schema of its payload. Producers and consumers import event types from here only.
import type { z } from 'zod';
import type { LogicalTopic } from './topics.ts';
import { TOPICS } from './topics.ts';
import {
  CheckRequestedV1,
  GitLabEventV1,
  GitLabPushV1,
  GradingCompletedV1,
  PipelineStatusV1,
  TestResultV1,
} from './schemas.ts';

export interface EventDefinition<Type extends string = string, Schema extends z.ZodType = z.ZodType> {
  readonly type: Type;
  readonly version: number;
  readonly topic: LogicalTopic;
  readonly schema: Schema;
}

function define<Type extends string, Schema extends z.ZodType>(
  type: Type,
  version: number,
  topic: LogicalTopic,
  schema: Schema,
): EventDefinition<Type, Schema> {
  return Object.freeze({ type, version, topic, schema });
}

/** The current version of each event type: what producers write. */
export const EVENTS = {
  gitlabPush: define('gitlab.push', 1, TOPICS.gitlabPush.name, GitLabPushV1),
  gitlabEvent: define('gitlab.event', 1, TOPICS.gitlabEvents.name, GitLabEventV1),
  pipelineStatus: define('pipeline.status', 1, TOPICS.pipelineStatus.name, PipelineStatusV1),
  checkRequested: define('check.requested', 1, TOPICS.checkJobsNormal.name, CheckRequestedV1),
  testResult: define('test.result', 1, TOPICS.pipelineResults.name, TestResultV1),
  gradingCompleted: define('grading.completed', 1, TOPICS.gradingCompleted.name, GradingCompletedV1),
} as const;

export type EventName = keyof typeof EVENTS;
export type EventType = (typeof EVENTS)[EventName]['type'];

type SchemaOf<T extends EventType> = Extract<(typeof EVENTS)[EventName], { type: T }>['schema'];
/** Payload of an event type's current version, as consumers see it (defaults applied). */
export type PayloadOf<T extends EventType> = z.output<SchemaOf<T>>;
/** Payload as producers may write it (fields with defaults may be left out). */
export type PayloadInput<T extends EventType> = z.input<SchemaOf<T>>;

/** Every version consumers can decode, current and older. */
const DECODABLE: readonly EventDefinition[] = [...Object.values(EVENTS)];

const byTypeAndVersion = new Map(DECODABLE.map((d) => [`${d.type}@${d.version}`, d]));

export function findDefinition(type: string, version: number): EventDefinition | undefined {
  return byTypeAndVersion.get(`${type}@${version}`);
}

export function knownTypes(): string[] {
  return [...byTypeAndVersion.keys()];
}
