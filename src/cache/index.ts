// Cache adapters: Redis when REDIS_URL is set, in memory otherwise.
export { MemoryDedupStore, RedisDedupStore, openDedupStore } from './dedup-store.ts';
export type { DedupStore } from './dedup-store.ts';
