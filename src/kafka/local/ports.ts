// Loopback port helpers: pick free ports, and check that a requested port is free before a
// broker is started on it (so the user gets a clear message instead of a JVM stack trace).
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

/** `count` distinct ports that were free on 127.0.0.1 a moment ago. */
export async function findFreePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i += 1) servers.push(await listen(0));
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
