// Pipeline: decides what a push means and starts its check.
// Glossary — submission: one commit of one student's project for one assignment, recorded once;
// group: a Kafka consumer group of the seed's map (pipeline-orchestrators, ...).
export { orchestratorHandler } from './orchestrator.ts';
export type { OrchestratorDeps } from './orchestrator.ts';
export { GROUPS, isGroupName } from './groups.ts';
export type { GroupContext, GroupDefinition, GroupName } from './groups.ts';
