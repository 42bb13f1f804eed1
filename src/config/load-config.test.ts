import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './index.ts';

test('defaults: embedded Kafka, PGlite, in-memory cache, the seed KafkaConfig defaults', () => {
  const config = loadConfig({}, '/srv/gradeflow');
  assert.equal(config.http.port, 8080);
  assert.equal(config.kafka.brokers, null);
  assert.equal(config.kafka.embedded, true);
  assert.equal(config.kafka.topicPrefix, 'edu.');
  assert.equal(config.kafka.compression, 'snappy');
  assert.equal(config.kafka.requiredAcks, -1);
  assert.equal(config.kafka.replicationFactor, 1);
  assert.equal(config.database.url, null);
  assert.equal(config.redis.url, null);
  assert.equal(config.dataDir, '/srv/gradeflow/data');
  assert.equal(config.coursesDir, '/srv/gradeflow/courses');
  assert.ok(Object.isFrozen(config.kafka));
});

test('a given cluster is used as it is, with replication 3 by default', () => {
  const config = loadConfig({ KAFKA_BROKERS: 'k1:9092, k2:9092,k3:9092', KAFKA_COMPRESSION: 'zstd', KAFKA_REQUIRED_ACKS: '1' });
  assert.deepEqual(config.kafka.brokers, ['k1:9092', 'k2:9092', 'k3:9092']);
  assert.equal(config.kafka.embedded, false);
  assert.equal(config.kafka.replicationFactor, 3);
  assert.equal(config.kafka.compression, 'zstd');
  assert.equal(config.kafka.requiredAcks, 1);
});

test('every problem is reported at once, naming the variable and what was expected', () => {
  const error = (() => {
    try {
      loadConfig({ PORT: 'eighty', KAFKA_COMPRESSION: 'brotli', KAFKA_BROKERS: 'nohostport', DATABASE_URL: 'mysql://root:hunter2@db/x', GRADEFLOW_ADMIN_TOKEN: 'short' });
    } catch (caught) {
      return caught;
    }
    return null;
  })();
  assert.ok(error instanceof ConfigError);
  assert.equal(error.problems.length, 5);
  assert.match(error.message, /PORT: expected a whole number from 0 to 65535, got "eighty"/);
  assert.match(error.message, /KAFKA_COMPRESSION: expected one of none, gzip, snappy, lz4, zstd, got "brotli"/);
  assert.match(error.message, /KAFKA_BROKERS: expected host:port, got "nohostport"/);
  assert.match(error.message, /DATABASE_URL: expected a URL starting with postgres:\/\/ or postgresql:\/\//);
  assert.match(error.message, /GRADEFLOW_ADMIN_TOKEN: expected at least 16 characters/);
  assert.doesNotMatch(error.message, /hunter2/, 'a password in a bad URL is never echoed');
  assert.doesNotMatch(error.message, /"short"/, 'a secret is never echoed');
});

test('GRADEFLOW_CONFIG_FILE supplies values; the environment wins', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gradeflow-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'gradeflow.env');
  writeFileSync(file, 'PORT=9000\nKAFKA_TOPIC_PREFIX=prod.\n# comment\nLOG_LEVEL=debug\n');
  const config = loadConfig({ GRADEFLOW_CONFIG_FILE: file, LOG_LEVEL: 'warn' });
  assert.equal(config.http.port, 9000);
  assert.equal(config.kafka.topicPrefix, 'prod.');
  assert.equal(config.logLevel, 'warn');
});

test('an unreadable config file is a named error', () => {
  assert.throws(() => loadConfig({ GRADEFLOW_CONFIG_FILE: '/nonexistent/gradeflow.env' }), /GRADEFLOW_CONFIG_FILE: cannot read \/nonexistent\/gradeflow.env: ENOENT/);
});

test('a topic prefix with characters Kafka refuses is rejected', () => {
  assert.throws(() => loadConfig({ KAFKA_TOPIC_PREFIX: 'edu/' }), /KAFKA_TOPIC_PREFIX: expected letters, digits/);
});
