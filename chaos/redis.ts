// A redis-server of the run's own on a free loopback port (no persistence), which the
// redis-down scenario kills and starts again. The gateway's dedup cache points at it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { findFreePorts } from '../src/kafka/local/ports.ts';
import { waitFor } from '../test/support/wait.ts';
import { killGroup, trackGroup, untrackGroup } from './cleanup.ts';

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.setTimeout(1_000, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
      if (answer.includes('\r\n')) socket.end();
    });
    socket.on('close', () => resolve(answer.startsWith('+PONG')));
    socket.on('error', () => resolve(false));
  });
}

export class RedisServer {
  readonly port: number;
  #child: ChildProcess | null = null;

  private constructor(port: number) {
    this.port = port;
  }

  static async start(): Promise<RedisServer> {
    const [port] = await findFreePorts(1);
    if (port === undefined) throw new Error('no free port for redis-server');
    const server = new RedisServer(port);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  async start(): Promise<void> {
    if (this.#child !== null) return;
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore', detached: true,
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error('redis-server could not be started (is it installed?)');
    trackGroup(pid);
    this.#child = child;
    void once(child, 'exit').then(() => {
      untrackGroup(pid);
      if (this.#child === child) this.#child = null;
    });
    await waitFor(`redis-server on port ${this.port}`, () => ping(this.port), { timeoutMs: 10_000, intervalMs: 100 });
  }

  /** SIGKILL, and wait until it is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === null || child.pid === undefined) return;
    const exited = once(child, 'exit');
    killGroup(child.pid, 'SIGKILL');
    await exited;
    this.#child = null;
  }
}
