// The gateway's durable local spool: where events go while Kafka cannot take them, and the
// forwarder that hands them to Kafka, in order, once it can (see spool.ts and forwarder.ts).
export { openSpool } from './spool.ts';
export type { Spool, SpoolMetrics, SpoolOptions } from './spool.ts';
export type { SpoolBatch } from './reader.ts';
export { startForwarder } from './forwarder.ts';
export type { Forwarder, ForwarderOptions } from './forwarder.ts';
export { LateDeliveries } from './late-deliveries.ts';
