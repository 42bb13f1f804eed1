// PinnedNamespace against real pid namespaces made by util-linux's unshare.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFile, readlink, readdir } from 'node:fs/promises';
import { PinnedNamespace } from './pid-namespace.ts';

function nsNumber(link: string): number {
  return Number(/^pid:\[(\d+)\]$/.exec(link)?.[1] ?? NaN);
}

/** A `sleep` as pid 1 of a new pid namespace: its host pid and its namespace's number. */
async function sleeperInNewNamespace(): Promise<{ pid: number; inode: number; stop: () => void }> {
  const outer = spawn('unshare', ['--pid', '--fork', '--kill-child', 'sleep', '60'], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const children = await readFile(`/proc/${outer.pid}/task/${outer.pid}/children`, 'utf8').catch(() => '');
    const pid = Number(children.trim().split(' ')[0]);
    const link = pid > 0 ? await readlink(`/proc/${pid}/ns/pid`).catch(() => '') : '';
    const ownLink = await readlink(`/proc/${outer.pid}/ns/pid`);
    if (link !== '' && link !== ownLink) return { pid, inode: nsNumber(link), stop: () => outer.kill('SIGKILL') };
    assert.ok(Date.now() < deadline, 'the sleeper did not start in a namespace of its own');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The number the next new pid namespace gets. */
function nextNamespaceNumber(): number {
  return nsNumber(execFileSync('unshare', ['--pid', '--fork', 'readlink', '/proc/self/ns/pid'], { encoding: 'utf8' }).trim());
}

async function openFds(): Promise<number> {
  return (await readdir('/proc/self/fd')).length;
}

test('opens the namespace of a live process only under its own number', async () => {
  const sleeper = await sleeperInNewNamespace();
  try {
    assert.equal(await PinnedNamespace.open(sleeper.pid, sleeper.inode + 1), null);
    const pinned = await PinnedNamespace.open(sleeper.pid, sleeper.inode);
    assert.ok(pinned !== null);
    assert.equal(pinned.inode, sleeper.inode);
    await pinned.release();
  } finally {
    sleeper.stop();
  }
});

test('a process that is gone cannot be pinned', async () => {
  const child = spawn('true');
  await new Promise((resolve) => child.once('close', resolve));
  const self = nsNumber(await readlink('/proc/self/ns/pid'));
  assert.equal(await PinnedNamespace.open(child.pid ?? 0, self), null);
});

test('sweep kills what runs in the namespace; release closes the handle', async () => {
  const before = await openFds();
  const sleeper = await sleeperInNewNamespace();
  try {
    const pinned = await PinnedNamespace.open(sleeper.pid, sleeper.inode);
    assert.ok(pinned !== null);
    assert.equal(await openFds(), before + 1, 'one handle held (the spawn has no pipes)');
    await pinned.sweep();
    assert.equal(await readlink(`/proc/${sleeper.pid}/ns/pid`).catch(() => 'gone'), 'gone');
    await pinned.release();
    assert.equal(await openFds(), before);
  } finally {
    sleeper.stop();
  }
});

test('while pinned, an emptied namespace keeps its number; released, the kernel gives it out again', async () => {
  const sleeper = await sleeperInNewNamespace();
  const pinned = await PinnedNamespace.open(sleeper.pid, sleeper.inode);
  assert.ok(pinned !== null);
  await pinned.sweep();
  sleeper.stop();
  // The kernel reuses the lowest free number, usually within a couple of namespaces.
  const whilePinned = Array.from({ length: 30 }, nextNamespaceNumber);
  assert.ok(!whilePinned.includes(pinned.inode), `pinned ${pinned.inode} was given out: ${whilePinned.join(' ')}`);
  await pinned.release();
  // The control: without the handle the same number comes back, which is the hazard pinning removes.
  const deadline = Date.now() + 20_000;
  const afterRelease: number[] = [];
  while (!afterRelease.includes(pinned.inode)) {
    assert.ok(Date.now() < deadline, `number ${pinned.inode} never came back: ${afterRelease.join(' ')}`);
    afterRelease.push(nextNamespaceNumber());
  }
});
