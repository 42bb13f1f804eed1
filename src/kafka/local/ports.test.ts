import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { LOOPBACK, ephemeralPortRange, findFreePorts } from './ports.ts';

test('the ephemeral range is read from the kernel, and anything unusable is no range', () => {
  assert.deepEqual(ephemeralPortRange(() => '32768\t60999\n'), { low: 32768, high: 60999 });
  assert.equal(ephemeralPortRange(() => 'garbage'), null);
  assert.equal(ephemeralPortRange(() => '1024\t65535\n'), null, 'no room below it for stable ports');
  assert.equal(ephemeralPortRange(() => {
    throw new Error('ENOENT');
  }), null);
});

test('free ports are distinct, bindable, and below the ephemeral range where there is one', async () => {
  const ports = await findFreePorts(5);
  assert.equal(new Set(ports).size, 5);
  const range = ephemeralPortRange();
  for (const port of ports) {
    if (range !== null) assert.ok(port >= 20_000 && port < range.low, `${port} is below ${range.low}`);
    await new Promise<void>((resolve, reject) => {
      const server = net.createServer().once('error', reject);
      server.listen({ host: LOOPBACK, port, exclusive: true }, () => server.close(() => resolve()));
    });
  }
});
