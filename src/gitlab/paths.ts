// Builds API paths. Every caller-supplied piece is one path segment, so a project path
// `group/project` or a branch `feature/x` is sent as `group%2Fproject` / `feature%2Fx`, as
// GitLab requires, and nothing a caller passes can change which endpoint is called.
import { AppError } from '../errors/index.ts';
import type { ProjectId } from './types.ts';

export function projectSegment(projectId: ProjectId): string {
  if (typeof projectId === 'number') {
    if (!Number.isSafeInteger(projectId) || projectId <= 0) throw invalid('project id', String(projectId));
    return String(projectId);
  }
  return segment(projectId.trim(), 'project id');
}

/** One URL path segment; `.` and `..` are refused because URL parsing would resolve them away. */
export function segment(value: string | number, what: string): string {
  const text = String(value);
  if (text === '' || text === '.' || text === '..') throw invalid(what, text);
  return encodeURIComponent(text);
}

export function positiveInt(value: number, what: string): string {
  if (!Number.isSafeInteger(value) || value <= 0) throw invalid(what, String(value));
  return String(value);
}

function invalid(what: string, value: string): AppError {
  // The value itself is not quoted: whatever a caller passed by mistake (even the token) must
  // not end up in an error message. Its length is enough to tell empty from malformed.
  return new AppError('GITLAB_INVALID_REQUEST', `invalid ${what} (${value.length} characters)`, { retryable: false });
}
