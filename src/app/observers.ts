// Adapts the metrics registry to the small observer interfaces the Kafka adapters take.
import type { ConsumerObserver, ProducerObserver } from '../kafka/index.ts';
import type { Metrics } from '../metrics/index.ts';

export function producerObserver(metrics: Metrics, topicPrefix: string): ProducerObserver {
  return {
    produced: (topic, seconds, ok) =>
      metrics.produceDuration.observe({ topic: topic.startsWith(topicPrefix) ? topic.slice(topicPrefix.length) : topic, result: ok ? 'ok' : 'error' }, seconds),
  };
}

export function consumerObserver(metrics: Metrics): ConsumerObserver {
  return {
    processed: (group, topic, outcome, seconds) => {
      metrics.messagesProcessed.inc({ group, topic, outcome });
      metrics.handlerDuration.observe({ group }, seconds);
    },
    deadLettered: (group, topic, code) => metrics.deadLetters.inc({ group, topic, code }),
    lag: (group, topic, partition, lag) => metrics.consumerLag.set({ group, topic, partition: String(partition) }, lag),
  };
}
