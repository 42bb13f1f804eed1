// Artifact storage (logs, raw test reports) behind a small interface; the filesystem
// implementation is the only one so far. Import only from this file.
// Glossary — key: caller's name for an artifact ("<submissionId>/log.txt"); URI: the store's
// opaque handle for it ("artifacts/<encoded key>"), what events and rows carry.
export type { ArtifactStore } from './artifact-store.ts';
export { FsArtifactStore, safeKeyPath } from './fs-store.ts';
