// What the runner and the web layer see of artifact storage. URIs are opaque to callers:
// they are stored in events and rows and handed back to the same store's get().
export interface ArtifactStore {
  /** Stores data under key (e.g. "<submissionId>/log.txt"), replacing any previous value. */
  put(key: string, data: Buffer | string): Promise<string>;
  /** Reads what put() stored; throws AppError ARTIFACT_NOT_FOUND / ARTIFACT_URI_INVALID. */
  get(uri: string): Promise<Buffer>;
}
