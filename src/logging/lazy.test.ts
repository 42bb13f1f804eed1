import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from './logger.ts';
import { lazyLogger } from './lazy.ts';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({ write: (chunk, _encoding, done) => { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); done(); } });
  return { lines, log: createLogger('info', 'lazy-test', stream) };
}

test('the child is made on the first line written, once, with its bindings redacted like any child', () => {
  const { lines, log } = capture();
  let made = 0;
  const lazy = lazyLogger(() => { made += 1; return log.child({ reqId: 'r1', token: 'glpat-secret' }); });
  assert.equal(typeof lazy.info, 'function');
  assert.equal(typeof lazy.child, 'function');
  assert.equal(made, 0, 'looking at the methods makes nothing');
  lazy.info({ n: 1 }, 'first');
  lazy.warn('second');
  assert.equal(made, 1);
  assert.deepEqual(lines.map((l) => [l.msg, l.reqId, l.token, l.n]), [['first', 'r1', '[redacted]', 1], ['second', 'r1', '[redacted]', undefined]]);
});

test('levels below the logger level write nothing; other properties come from the child', () => {
  const { lines, log } = capture();
  const lazy = lazyLogger(() => log.child({ reqId: 'r2' }));
  lazy.debug('hidden');
  assert.equal(lazy.level, 'info');
  assert.equal(lazy.isLevelEnabled('debug'), false);
  lazy.child({ part: 'x' }).error('from a grandchild');
  assert.deepEqual(lines.map((l) => [l.msg, l.reqId, l.part]), [['from a grandchild', 'r2', 'x']]);
});
