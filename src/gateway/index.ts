// Gateway (the seed's "handler"): receives GitLab webhooks, authenticates them, maps them to
// typed events keyed `course:assignment:student`, and answers only once Kafka has the event.
// Glossary — delivery: one POST from GitLab; delivery key: what identifies a delivery across
// GitLab's retries (Idempotency-Key, else X-Gitlab-Event-UUID + payload identity).
export { webhookRoutes } from './webhook-routes.ts';
export type { WebhookRouteOptions } from './webhook-routes.ts';
export { WebhookIntake } from './intake.ts';
export type { Answer, Delivery, IntakeDeps, ProjectResolver, Resolution } from './intake.ts';
export { webhookSecrets, tokensEqual } from './secrets.ts';
export type { WebhookSecrets } from './secrets.ts';
export { mapPush, deliveryKey, acceptedKind, kindLabel, ZERO_SHA } from './webhook-payload.ts';
