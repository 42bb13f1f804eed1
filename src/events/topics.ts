// The one table of topics. Names here are logical (the seed's names); the deployed name is
// `${topicPrefix}${name}` (default prefix `edu.`). Provisioning reads this table only.
const DAY_MS = 24 * 60 * 60 * 1000;

export interface TopicSpec {
  /** Logical name, e.g. `gitlab.push`. */
  readonly name: string;
  readonly partitions: number;
  readonly retentionMs: number;
  readonly description: string;
}

export const TOPICS = {
  gitlabPush: {
    name: 'gitlab.push',
    partitions: 12,
    retentionMs: 90 * DAY_MS,
    description: 'Push webhooks mapped to course:assignment:student; the source of every submission',
  },
  gitlabEvents: {
    name: 'gitlab.events',
    partitions: 6,
    retentionMs: 30 * DAY_MS,
    description: 'Other accepted webhooks (tag push, merge request, pipeline, job, note), kept for later stages',
  },
  pipelineStatus: {
    name: 'pipeline.status',
    partitions: 12,
    retentionMs: 30 * DAY_MS,
    description: 'Lifecycle of a check: queued, running, finished',
  },
  checkJobsExam: {
    name: 'check.jobs.exam',
    partitions: 12,
    retentionMs: 30 * DAY_MS,
    description: 'Checks to run with the local executor, exam work: runners take these first',
  },
  checkJobsNormal: {
    name: 'check.jobs.normal',
    partitions: 12,
    retentionMs: 30 * DAY_MS,
    description: 'Checks to run with the local executor, practice work',
  },
  checkJobsRegrade: {
    name: 'check.jobs.regrade',
    partitions: 12,
    retentionMs: 30 * DAY_MS,
    description: 'Re-grades requested by staff: run when no live work waits',
  },
  pipelineResults: {
    name: 'pipeline.results',
    partitions: 12,
    retentionMs: 90 * DAY_MS,
    description: 'Test results of finished checks',
  },
  gradingCompleted: {
    name: 'grading.completed',
    partitions: 12,
    retentionMs: 90 * DAY_MS,
    description: 'Grades computed by result-processors, consumed by notification-senders',
  },
  deadLetter: {
    name: 'dead-letter',
    partitions: 3,
    retentionMs: 180 * DAY_MS,
    description: 'Records no consumer could process, with the reason and origin in headers',
  },
} as const satisfies Record<string, TopicSpec>;

export type TopicKey = keyof typeof TOPICS;

/** Check job topics by priority, highest first. */
export const CHECK_JOB_TOPICS = {
  exam: TOPICS.checkJobsExam.name,
  normal: TOPICS.checkJobsNormal.name,
  regrade: TOPICS.checkJobsRegrade.name,
} as const;
export type LogicalTopic = (typeof TOPICS)[TopicKey]['name'];

export const ALL_TOPICS: readonly TopicSpec[] = Object.values(TOPICS);

/**
 * Retry topics, one per consumer group: `retry.<group>` holds records whose handler failed
 * transiently, until they are due again (src/kafka/retry-topics.ts). Derived from the group names
 * rather than listed, so a new group gets one without touching this table; provisioned with the
 * rest (provisionTopics(connection, ALL_TOPICS, { groups })). Retention outlives the longest
 * backoff by far, so a group stopped for days still finds its retries.
 */
export function retryTopicSpecs(groups: readonly string[]): TopicSpec[] {
  return groups.map((group) => ({
    name: `retry.${group}`,
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    description: `Records ${group} failed to handle for a transient reason, waiting for their next attempt`,
  }));
}

export function topicName(prefix: string, topic: LogicalTopic | TopicSpec["name"]): string {
  return `${prefix}${topic}`;
}
