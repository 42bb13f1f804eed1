import assert from 'node:assert/strict';
import { test } from 'node:test';
import { javaMurmur2, javaPartitionForKey } from './murmur2.ts';

// Values printed by Kafka's own Utils.murmur2 (they appear in Kafka's UtilsTest and in the
// client libraries that copy its test vectors).
test('the reference murmur2 matches Kafka Java test vectors', () => {
  assert.equal(javaMurmur2(Buffer.from('21')), -973932308);
  assert.equal(javaMurmur2(Buffer.from('foobar')), -790332482);
  assert.equal(javaMurmur2(Buffer.from('a-little-bit-long-string')), -985981536);
  assert.equal(javaMurmur2(Buffer.from('a-little-bit-longer-string')), -1486304829);
  assert.equal(javaMurmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')), -58897971);
  assert.equal(javaMurmur2(Buffer.from('abc')), 479470107);
});

test('partition is the positive hash modulo the partition count', () => {
  assert.equal(javaPartitionForKey('21', 12), (-973932308 & 0x7fffffff) % 12);
});
