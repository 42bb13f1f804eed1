// Events: the typed, versioned catalogue shared by producers and consumers.
// Glossary — envelope: id, type, version, occurredAt, key, source, payload around every event;
// key: `course:assignment:student`, which picks the partition so one student's events stay in order;
// logical topic: the seed's name (`gitlab.push`), deployed under the configured prefix (`edu.`).
export { TOPICS, ALL_TOPICS, CHECK_JOB_TOPICS, topicName } from './topics.ts';
export type { TopicSpec, TopicKey, LogicalTopic } from './topics.ts';
export { EVENTS, findDefinition, knownTypes } from './catalogue.ts';
export type { EventDefinition, EventName, EventType, PayloadInput, PayloadOf } from './catalogue.ts';
export { createEnvelope, encodeEvent, decodeEvent, stableId, unexpectedEvent, EnvelopeSchema } from './envelope.ts';
export type { AnyEnvelope, Envelope, NewEvent } from './envelope.ts';
export type { GitLabPush, GitLabEvent, PipelineStatus, TestResult, GradingCompleted, CheckRequested } from './schemas.ts';

/** The partition key of everything about one student's work on one assignment. */
export function submissionKey(course: string, assignment: string, student: string): string {
  return `${course}:${assignment}:${student}`;
}
export type { EventProducer, EventPublisher, GitLabEventInput, ProducedRecord, PublishOptions } from './producer.ts';
