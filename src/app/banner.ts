// The one banner `gradeflow start` prints: where things are, never a secret.
import type { Course } from '../courses/index.ts';
import type { Kit } from './services.ts';

export interface BannerFacts {
  readonly url: string;
  readonly brokers: readonly string[];
  readonly embeddedKafka: boolean;
  readonly database: string;
  readonly cache: string;
  readonly courses: readonly Course[];
}

export function printBanner(kit: Kit, facts: BannerFacts, out: NodeJS.WritableStream = process.stdout): void {
  const { config } = kit;
  const courseLines = facts.courses.length === 0
    ? [`    (none: add course files to ${config.coursesDir})`]
    : facts.courses.map((c) => `    ${c.slug}: ${c.assignments.length} assignment(s), projects ${c.gitlab.projectPath}${c.gitlab.webhookSecret === null && config.gitlab.webhookSecret === null ? '  [no webhook secret: its webhooks are refused]' : ''}`);
  const lines = [
    '',
    'Gradeflow is running',
    `  webhooks   POST ${facts.url}/webhooks/gitlab`,
    `  API        ${facts.url}/api/submissions${config.admin.token === null ? '  [disabled: set GRADEFLOW_ADMIN_TOKEN]' : ''}`,
    `  health     ${facts.url}/healthz  ${facts.url}/readyz`,
    `  metrics    ${facts.url}/metrics`,
    `  kafka      ${facts.brokers.join(',')}${facts.embeddedKafka ? ` (embedded, data in ${config.dataDir}/kafka)` : ''}, topics ${config.kafka.topicPrefix}*`,
    `  database   ${facts.database}`,
    `  cache      ${facts.cache}`,
    `  courses    ${facts.courses.length} loaded from ${config.coursesDir}`,
    ...courseLines,
    'Press Ctrl-C to stop.',
    '',
  ];
  out.write(`${lines.join('\n')}\n`);
}
