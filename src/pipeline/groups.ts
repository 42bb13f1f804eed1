// The seed's consumer groups map: name -> topics, instances, handler. `instances` is how many
// members `npm start` runs in its one process; scaled out, each runs as
// `gradeflow worker <name>` processes (or pods), as many as the topic has partitions at most.
import type { Config } from '../config/index.ts';
import type { Course } from '../courses/index.ts';
import type { Database } from '../db/index.ts';
import type { EventPublisher, LogicalTopic } from '../events/index.ts';
import { TOPICS } from '../events/index.ts';
import type { GitLabClient } from '../gitlab/index.ts';
import type { MessageHandler } from '../kafka/index.ts';
import type { Logger } from '../logging/index.ts';
import type { Metrics } from '../metrics/index.ts';
import type { ArtifactStore } from '../storage/index.ts';
import { resultProcessorHandler } from '../grading/result-processor.ts';
import { notificationHandler } from '../notify/index.ts';
import { checkRunnerHandler } from '../runner/check-runner.ts';
import { PrioritySlots } from '../runner/priority-slots.ts';
import { ciTrackerHandler } from './ci-tracker.ts';
import { orchestratorHandler } from './orchestrator.ts';

/** Everything a group's handler may use; each handler takes only what it needs. */
export interface GroupContext {
  readonly db: Database;
  readonly publisher: EventPublisher;
  readonly metrics: Metrics;
  readonly courses: ReadonlyMap<string, Course>;
  /** null when GITLAB_URL/GITLAB_TOKEN are not configured. */
  readonly gitlab: GitLabClient | null;
  readonly artifacts: ArtifactStore;
  readonly config: Config;
  readonly log: Logger;
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
    handler: (context) => orchestratorHandler(context),
  },
  'check-runners': {
    topics: [TOPICS.checkJobsExam.name, TOPICS.checkJobsNormal.name, TOPICS.checkJobsRegrade.name],
    // One member per process: its slots are the machine's capacity (GRADEFLOW_RUNNER_CONCURRENCY).
    instances: 1,
    handler: (context) =>
      checkRunnerHandler({
        ...context,
        inProgress: new PrioritySlots(2 * context.config.runner.concurrency),
        slots: new PrioritySlots(context.config.runner.concurrency),
        workRoot: context.config.runner.workDir,
        gitToken: context.config.gitlab.token,
      }),
  },
  'ci-trackers': {
    topics: [TOPICS.gitlabEvents.name],
    instances: 1,
    handler: (context) => ciTrackerHandler(context),
  },
  'result-processors': {
    topics: [TOPICS.pipelineResults.name],
    instances: 2,
    handler: (context) => resultProcessorHandler(context),
  },
  'notification-senders': {
    topics: [TOPICS.gradingCompleted.name, TOPICS.pipelineStatus.name],
    instances: 1,
    handler: (context) => notificationHandler(context),
  },
} as const satisfies Record<string, GroupDefinition>;

export type GroupName = keyof typeof GROUPS;

export function isGroupName(name: string): name is GroupName {
  return Object.hasOwn(GROUPS, name);
}
