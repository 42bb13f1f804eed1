// The seed's consumer groups map: name -> topics, instances, handler. `instances` is how many
// members `npm start` runs in its one process; scaled out, each runs as
// `gradeflow worker <name>` processes (or pods), as many as the topic has partitions at most.
import type { Database } from '../db/index.ts';
import type { EventPublisher, LogicalTopic } from '../events/index.ts';
import { TOPICS } from '../events/index.ts';
import type { MessageHandler } from '../kafka/index.ts';
import type { Metrics } from '../metrics/index.ts';
import { orchestratorHandler } from './orchestrator.ts';

export interface GroupContext {
  readonly db: Database;
  readonly publisher: EventPublisher;
  readonly metrics: Metrics;
}

export interface GroupDefinition {
  readonly topics: readonly LogicalTopic[];
  readonly instances: number;
  readonly handler: (context: GroupContext) => MessageHandler;
}

export const GROUPS = {
  'pipeline-orchestrators': {
    topics: [TOPICS.gitlabPush.name],
    instances: 3,
    handler: ({ db, publisher, metrics }) =>
      orchestratorHandler({ db, publisher, onRecorded: (created) => metrics.submissionsRecorded.inc({ result: created ? 'created' : 'duplicate' }) }),
  },
} as const satisfies Record<string, GroupDefinition>;

export type GroupName = keyof typeof GROUPS;

export function isGroupName(name: string): name is GroupName {
  return Object.hasOwn(GROUPS, name);
}
