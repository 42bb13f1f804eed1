// Loopback port helpers: pick free ports, and check that a requested port is free before a
// broker is started on it (so the user gets a clear message instead of a JVM stack trace).
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { AppError } from '../../errors/app-error.ts';

export const LOOPBACK = '127.0.0.1';

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Below the ephemeral range, above the ports services are usually configured on. */
const STABLE_PORTS_FROM = 20_000;
const EPHEMERAL_RANGE = '/proc/sys/net/ipv4/ip_local_port_range';

/** Where the kernel picks ports for outgoing connections and for listen(0), or null off Linux. */
export function ephemeralPortRange(read: (file: string) => string = (file) => readFileSync(file, 'utf8')): { low: number; high: number } | null {
  try {
    const [low, high] = read(EPHEMERAL_RANGE).trim().split(/\s+/).map(Number);
    return low !== undefined && high !== undefined && Number.isInteger(low) && Number.isInteger(high) && low > STABLE_PORTS_FROM + 100 ? { low, high } : null;
  } catch {
    return null;
  }
}

/**
 * `count` distinct ports that were free on 127.0.0.1 a moment ago, chosen below the ephemeral
 * range: a port the caller binds again later (a broker or server restarted on the same port)
 * cannot meanwhile become the local end of some process's outgoing connection, which took the
 * port of a restarted embedded broker in a test run ("Address already in use"). Off Linux,
 * whatever listen(0) gives.
 */
export async function findFreePorts(count: number): Promise<number[]> {
  const range = ephemeralPortRange();
  const servers: net.Server[] = [];
  try {
    if (range === null) {
      for (let i = 0; i < count; i += 1) servers.push(await listen(0));
    } else {
      const span = range.low - STABLE_PORTS_FROM;
      for (let tries = 0; servers.length < count; tries += 1) {
        if (tries >= 1_000) throw new Error(`no ${count} free ports found on ${LOOPBACK} between ${STABLE_PORTS_FROM} and ${range.low - 1}`);
        const server = await listen(STABLE_PORTS_FROM + Math.floor(Math.random() * span)).catch(() => null);
        if (server !== null) servers.push(server);
      }
    }
    return servers.map((server) => (server.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map(close));
  }
}

export function portInUseError(port: number, cause?: unknown): AppError {
  return new AppError(
    'KAFKA_PORT_IN_USE',
    `cannot start the local Kafka broker: port ${port} on ${LOOPBACK} is already in use. ` +
      'Free the port (or choose another one), or set KAFKA_BROKERS (e.g. KAFKA_BROKERS=127.0.0.1:9092) ' +
      'to use an existing Kafka cluster instead of starting a local one.',
    { cause, details: { port } },
  );
}

/** Throws a KAFKA_PORT_IN_USE error naming the port if something already listens on it. */
export async function assertPortFree(port: number): Promise<void> {
  let server: net.Server;
  try {
    server = await listen(port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portInUseError(port, error);
    throw error;
  }
  await close(server);
}
