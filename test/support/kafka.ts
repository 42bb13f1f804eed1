/**
 * Kafka for tests.
 *
 * `npm test` runs Node's test runner with `--test-global-setup=test/global-setup.ts`: unless
 * KAFKA_BROKERS is already set (then that cluster is used as it is), the global setup starts
 * ONE real local Kafka broker on free loopback ports and sets process.env.KAFKA_BROKERS in
 * the runner process. Test files run as child processes of the runner and inherit that
 * environment: verified on Node 24.21 (the runner spawns each test file after globalSetup has
 * resolved, with the runner's process.env), so no side channel (file) is needed.
 *
 * Running one test file directly (`node --test some.test.ts`) without the global setup
 * needs KAFKA_BROKERS pointing at a running cluster, e.g. one started with
 * `startLocalKafka` (src/kafka/local).
 *
 * The broker is shared by every test file: use uniqueName() for topics, groups and
 * transactional ids so tests never see each other's data.
 */
import { randomBytes } from 'node:crypto';

/** The bootstrap brokers of the test cluster ("host:port" strings). */
export function testBrokers(): string[] {
  const value = process.env.KAFKA_BROKERS?.trim();
  if (value === undefined || value === '') {
    throw new Error(
      'KAFKA_BROKERS is not set: run tests with `npm run test:run` (its --test-global-setup=test/global-setup.ts ' +
        'starts a local Kafka broker), or set KAFKA_BROKERS=host:port[,host:port…] to use a running cluster',
    );
  }
  const brokers = value.split(',').map((broker) => broker.trim()).filter((broker) => broker !== '');
  for (const broker of brokers) {
    if (!/^[^\s:]+:\d+$/.test(broker)) throw new Error(`KAFKA_BROKERS: expected host:port entries, got "${broker}"`);
  }
  return brokers;
}

let counter = 0;

/**
 * A name no other test (in this or another process) uses: `<prefix>-<pid>-<counter>-<random>`,
 * restricted to the characters Kafka allows in topic names (letters, digits, '.', '_', '-').
 */
export function uniqueName(prefix: string): string {
  counter += 1;
  const safePrefix = prefix.replace(/[^a-zA-Z0-9._-]/g, '-').slice(0, 180) || 'test';
  return `${safePrefix}-${process.pid}-${counter}-${randomBytes(4).toString('hex')}`;
}
