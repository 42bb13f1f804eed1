// Every metric the services expose, declared in one place and registered on a registry that
// is passed in (never the global one), so tests and several services in one process do not
// collide. Label values stay bounded: event kinds, statuses, logical topics, groups and
// partitions; never students, projects or commit SHAs.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(registry: Registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: 'gradeflow_' });
  const registers = [registry];
  return {
    registry,
    webhookRequests: new Counter({
      name: 'gradeflow_webhook_requests_total',
      help: 'GitLab webhook deliveries by event kind, HTTP status and outcome',
      labelNames: ['event', 'status', 'outcome'] as const,
      registers,
    }),
    produceDuration: new Histogram({
      name: 'gradeflow_kafka_produce_duration_seconds',
      help: 'Time until the broker acknowledged a produced event (acks as configured)',
      labelNames: ['topic', 'result'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    consumerLag: new Gauge({
      name: 'gradeflow_kafka_consumer_lag',
      help: 'Records not yet committed by a consumer group, per topic and partition',
      labelNames: ['group', 'topic', 'partition'] as const,
      registers,
    }),
    messagesProcessed: new Counter({
      name: 'gradeflow_messages_processed_total',
      help: 'Records handled by consumer groups by outcome (ok, retried, dead-lettered)',
      labelNames: ['group', 'topic', 'outcome'] as const,
      registers,
    }),
    handlerDuration: new Histogram({
      name: 'gradeflow_handler_duration_seconds',
      help: 'Time a consumer group handler took per record, including saving its effects',
      labelNames: ['group'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    deadLetters: new Counter({
      name: 'gradeflow_dead_letters_total',
      help: 'Records sent to the dead-letter topic, by group, origin topic and error code',
      labelNames: ['group', 'topic', 'code'] as const,
      registers,
    }),
    submissionsRecorded: new Counter({
      name: 'gradeflow_submissions_recorded_total',
      help: 'Pushes recorded as submissions (created) or recognised as already recorded (duplicate)',
      labelNames: ['result'] as const,
      registers,
    }),
    // The gateway's local spool (src/gateway/spool): events Kafka could not take yet.
    spoolDepth: new Gauge({ name: 'gradeflow_spool_depth', help: 'Events in the gateway spool not yet acknowledged by Kafka', registers }),
    spoolBytes: new Gauge({ name: 'gradeflow_spool_bytes', help: 'Bytes of spool segment files on disk (bounded by GRADEFLOW_SPOOL_MAX_BYTES)', registers }),
    spoolOldestAgeSeconds: new Gauge({ name: 'gradeflow_spool_oldest_age_seconds', help: 'Age of the oldest event still in the gateway spool (0 when empty)', registers }),
    spoolAppended: new Counter({ name: 'gradeflow_spool_appended_total', help: 'Events written to the gateway spool because Kafka could not take them', registers }),
    spoolForwarded: new Counter({ name: 'gradeflow_spool_forwarded_total', help: 'Spooled events forwarded to Kafka and acknowledged', registers }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
