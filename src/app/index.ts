// Composition roots: read config, build adapters, start. One per kind of process.
export { startAll } from './start-all.ts';
export { startWorker } from './worker.ts';
export { startGateway } from './gateway.ts';
export type { Kit } from './services.ts';
