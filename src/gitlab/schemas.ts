// Lenient response schemas: only the fields we read are checked, everything else is dropped,
// so a GitLab upgrade that adds fields cannot break us. Shapes follow the fixtures in
// /work/shared/fixtures/gitlab (commit_status.json, create_pipeline.json, ...).
import { z } from 'zod';
import type { CommitComment, CommitStatus, MergeRequestNote, MergeRequestRef, Pipeline } from './types.ts';

const id = z.number().int();
const text = z.string().nullish().transform((value) => value ?? null);

export const CommitStatusResponse = z
  .object({ id, sha: z.string(), name: z.string(), status: z.string(), description: text, target_url: text })
  .transform(
    (raw): CommitStatus => ({
      id: raw.id,
      sha: raw.sha,
      name: raw.name,
      status: raw.status,
      description: raw.description,
      targetUrl: raw.target_url,
    }),
  );

// The documented answer has no id, hence only note and created_at.
export const CommitCommentResponse = z
  .object({ note: z.string(), created_at: text })
  .transform((raw): CommitComment => ({ note: raw.note, createdAt: raw.created_at }));

export const MergeRequestNoteResponse = z
  .object({ id, body: z.string() })
  .transform((raw): MergeRequestNote => ({ id: raw.id, body: raw.body }));

export const PipelineResponse = z
  .object({
    id,
    iid: id.nullish(),
    project_id: id,
    sha: z.string(),
    ref: z.string(),
    status: z.string(),
    web_url: text,
  })
  .transform(
    (raw): Pipeline => ({
      id: raw.id,
      iid: raw.iid ?? null,
      projectId: raw.project_id,
      sha: raw.sha,
      ref: raw.ref,
      status: raw.status,
      webUrl: raw.web_url,
    }),
  );

export const BranchResponse = z.object({ name: z.string(), commit: z.object({ id: z.string() }) });

const MergeRequestItem = z
  .object({
    id,
    iid: id,
    project_id: id,
    state: z.string(),
    source_branch: text,
    target_branch: text,
    web_url: text,
  })
  .transform(
    (raw): MergeRequestRef => ({
      id: raw.id,
      iid: raw.iid,
      projectId: raw.project_id,
      state: raw.state,
      sourceBranch: raw.source_branch,
      targetBranch: raw.target_branch,
      webUrl: raw.web_url,
    }),
  );

export const MergeRequestListResponse = z.array(MergeRequestItem);

/** The parser in src/grading/junit checks the details; here only "an object" is required. */
export const TestReportResponse = z.record(z.string(), z.unknown());
