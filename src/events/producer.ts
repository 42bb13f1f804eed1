// The seed's EventProducer interface, owned by the core; Kafka implements it in src/kafka.
import type { EventDefinition, EventType } from './catalogue.ts';
import type { LogicalTopic } from './topics.ts';
import type { NewEvent } from './envelope.ts';

export interface ProducedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly eventId: string;
}

export type GitLabEventInput =
  | { readonly type: 'gitlab.push'; readonly event: NewEvent<'gitlab.push'> }
  | { readonly type: 'gitlab.event'; readonly event: NewEvent<'gitlab.event'> };

/** Publishes any catalogue event: what a stage needs to emit its output. */
export interface PublishOptions {
  /** Another topic than the definition's own, e.g. the check topic of a job's priority. */
  readonly topic?: LogicalTopic;
}

export interface EventPublisher {
  publish<T extends EventType>(definition: EventDefinition<T>, event: NewEvent<T>, options?: PublishOptions): Promise<ProducedRecord>;
}

export interface EventProducer extends EventPublisher {
  produceGitLabEvent(input: GitLabEventInput): Promise<ProducedRecord>;
  producePipelineStatus(event: NewEvent<'pipeline.status'>): Promise<ProducedRecord>;
  produceTestResult(event: NewEvent<'test.result'>): Promise<ProducedRecord>;
  close(): Promise<void>;
}
