// Webhook secrets: each course's own, falling back to GITLAB_WEBHOOK_SECRET. Compared in
// constant time; hashing both sides first makes the comparison independent of length too.
import { createHash, timingSafeEqual } from 'node:crypto';

export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export interface WebhookSecrets {
  /** The secret a course's hooks must send, or null when none is configured. */
  forCourse(courseSlug: string): string | null;
  /** True when the token is any configured secret (a cheap check before reading the body). */
  isKnown(token: string): boolean;
}

export function webhookSecrets(courseSecrets: ReadonlyMap<string, string | null>, globalSecret: string | null): WebhookSecrets {
  const all = [...new Set([...courseSecrets.values(), globalSecret].filter((s): s is string => s !== null))];
  return {
    forCourse: (slug) => courseSecrets.get(slug) ?? globalSecret,
    // Every secret is compared, so timing does not reveal which one matched.
    isKnown: (token) => all.map((secret) => tokensEqual(token, secret)).some(Boolean),
  };
}
