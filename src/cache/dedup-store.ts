// Remembers which webhook deliveries were already accepted, so a redelivery is answered 2xx
// without a second event. It is a fast path only: event ids derived from the delivery id make
// a duplicate that slips through (cache lost, two gateways racing) harmless downstream.
import { Redis } from 'ioredis';

export interface DedupStore {
  readonly kind: 'redis' | 'memory';
  has(key: string): Promise<boolean>;
  remember(key: string, ttlSeconds: number): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class MemoryDedupStore implements DedupStore {
  readonly kind = 'memory';
  readonly #entries = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(maxEntries = 200_000, now: () => number = Date.now) {
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  async has(key: string): Promise<boolean> {
    const expires = this.#entries.get(key);
    if (expires === undefined) return false;
    if (expires > this.#now()) return true;
    this.#entries.delete(key);
    return false;
  }

  async remember(key: string, ttlSeconds: number): Promise<void> {
    this.#entries.delete(key);
    this.#entries.set(key, this.#now() + ttlSeconds * 1000);
    // Maps iterate in insertion order, so the first key is the oldest: bounded memory.
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  async ping(): Promise<void> {}
  async close(): Promise<void> {
    this.#entries.clear();
  }
}

export class RedisDedupStore implements DedupStore {
  readonly kind = 'redis';
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(url: string, prefix = 'gradeflow:delivery:') {
    this.#prefix = prefix;
    // Fail fast instead of queueing commands while Redis is away: callers degrade.
    this.#redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
    this.#redis.on('error', () => {
      // connection errors surface on each command; ioredis keeps reconnecting meanwhile
    });
  }

  async connect(): Promise<void> {
    await this.#redis.connect();
  }

  async has(key: string): Promise<boolean> {
    return (await this.#redis.exists(this.#prefix + key)) === 1;
  }

  async remember(key: string, ttlSeconds: number): Promise<void> {
    await this.#redis.set(this.#prefix + key, '1', 'EX', ttlSeconds);
  }

  async ping(): Promise<void> {
    await this.#redis.ping();
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }
}

export async function openDedupStore(url: string | null, prefix?: string): Promise<DedupStore> {
  if (url === null) return new MemoryDedupStore();
  const store = new RedisDedupStore(url, prefix);
  // Redis away at start is not fatal: the gateway degrades to downstream dedup by event id,
  // and ioredis keeps reconnecting in the background.
  await store.connect().catch(() => {});
  return store;
}
