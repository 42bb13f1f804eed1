export { Lifecycle } from './shutdown.ts';
export type { Stoppable } from './shutdown.ts';
