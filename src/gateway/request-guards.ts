// Guards of the webhook edge against input GitLab never sends: headers sent twice or out of
// shape, bodies that are not UTF-8 JSON, nested without bound, with NUL characters or broken
// surrogates, or naming a project path GitLab cannot have. Each is refused with a 4xx that
// names the problem before the intake maps, produces or logs anything, because downstream
// they fail late (PostgreSQL refuses NUL, JSON.stringify overflows the stack on deep nesting)
// and a late failure is a 503 that GitLab retries forever. Every walk here is iterative.

export interface Refusal {
  readonly status: 400 | 415;
  readonly error: string;
  readonly message: string;
}

/** GitLab's payloads nest about six levels; 64 leaves room for custom payload templates. */
export const MAX_NESTING = 64;
/** The longest project path an event may carry (GitLabPushV1 project.path). */
const MAX_PROJECT_PATH = 1000;
/** GitLab path segments: ASCII letters, digits, '_', '-', '.'; never starting with '-'. */
const GITLAB_PATH = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_.][A-Za-z0-9_.-]*)*$/;
/** A segment of dots only ('.', '..') is a directory step, never a GitLab name. */
const DOTS_ONLY = /(?:^|\/)\.+(?:\/|$)/;
/** Delivery ids become the events' deliveryId (at most 200 characters). */
const DELIVERY_ID = /^[\x21-\x7e]{1,200}$/;
const EVENT_NAME = /^[\x20-\x7e]{1,100}$/;
/** Headers whose second copy would make the request ambiguous (Node joins them with ", "). */
const SINGLE_HEADERS = ['x-gitlab-token', 'x-gitlab-event', 'idempotency-key', 'x-gitlab-event-uuid'];

const refuse = (status: 400 | 415, error: string, message: string): Refusal => ({ status, error, message });

/** Text safe to echo in a message: printable ASCII, the rest as \uXXXX, at most `max` characters. */
export function printable(text: string, max = 100): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(/[^\x20-\x7e…]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Problems of the request head, checked before the body is read. `rawHeaders` as Node gives it. */
export function headerProblem(rawHeaders: readonly string[]): Refusal | null {
  const values = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    values.set(name, [...(values.get(name) ?? []), rawHeaders[i + 1] ?? '']);
  }
  const first = (name: string) => values.get(name)?.[0] ?? '';
  return encodingProblem(first('content-type'), first('content-encoding'))
    ?? duplicateProblem(values)
    ?? formatProblem('idempotency-key', first('idempotency-key'), DELIVERY_ID)
    ?? formatProblem('x-gitlab-event-uuid', first('x-gitlab-event-uuid'), DELIVERY_ID)
    ?? formatProblem('x-gitlab-event', first('x-gitlab-event'), EVENT_NAME);
}

function encodingProblem(contentType: string, contentEncoding: string): Refusal | null {
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType)?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    return refuse(415, 'UNSUPPORTED_CHARSET', `JSON bodies must be UTF-8 (RFC 8259), got charset=${printable(charset, 40)}`);
  }
  if (contentEncoding !== '' && !/^identity$/i.test(contentEncoding.trim())) {
    return refuse(415, 'UNSUPPORTED_CONTENT_ENCODING', `Content-Encoding ${printable(contentEncoding, 40)} is not accepted: send the JSON body uncompressed, as GitLab does`);
  }
  return null;
}

function duplicateProblem(values: ReadonlyMap<string, string[]>): Refusal | null {
  const repeated = SINGLE_HEADERS.find((name) => (values.get(name)?.length ?? 0) > 1);
  if (repeated === undefined) return null;
  return refuse(400, 'DUPLICATE_HEADER', `${repeated} was sent ${values.get(repeated)?.length} times; GitLab sends it once (check proxies and the webhook's custom headers)`);
}

function formatProblem(name: string, value: string, shape: RegExp): Refusal | null {
  if (value === '' || shape.test(value)) return null;
  return refuse(400, 'INVALID_HEADER', `${name} is not as GitLab sends it (at most ${name === 'x-gitlab-event' ? 100 : 200} printable ASCII characters): "${printable(value, 60)}"`);
}

/** Parses a webhook body: UTF-8 (a leading BOM is dropped), then JSON; errors say where. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw invalidJson('the body is empty');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw invalidJson('the body is not valid UTF-8 (JSON must be UTF-8, RFC 8259)');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidJson(printable((error as Error).message, 200));
  }
}

function invalidJson(message: string): Error {
  // The code is Fastify's own, so the app's error handler answers it like any invalid JSON.
  return Object.assign(new Error(message), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
}

/** Problems of a parsed body: structure first, then the project path it names. */
export function bodyProblem(body: Record<string, unknown>): Refusal | null {
  return structureProblem(body) ?? projectPathProblem(body);
}

interface Frame {
  readonly value: object;
  readonly depth: number;
  readonly path: string;
}

/** One pass over the whole body with an explicit stack: nesting depth, keys and strings. */
function structureProblem(root: object): Refusal | null {
  const stack: Frame[] = [{ value: root, depth: 1, path: '' }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const entries: Array<[string, unknown]> = Array.isArray(frame.value)
      ? frame.value.map((v, i) => [`[${i}]`, v])
      : Object.entries(frame.value).map(([k, v]) => [frame.path === '' ? k : `.${k}`, v]);
    for (const [step, child] of entries) {
      const path = `${frame.path}${step}`;
      const problem = (Array.isArray(frame.value) ? null : textProblem(step, `key ${path}`)) ?? keyProblem(frame.value, step, path)
        ?? (typeof child === 'string' ? textProblem(child, path) : null);
      if (problem !== null) return problem;
      if (child === null || typeof child !== 'object') continue;
      if (frame.depth + 1 > MAX_NESTING) {
        return refuse(400, 'BODY_TOO_DEEP', `the body is nested deeper than ${MAX_NESTING} levels (at ${printable(path, 80)}); GitLab payloads are not`);
      }
      stack.push({ value: child, depth: frame.depth + 1, path });
    }
  }
  return null;
}

function keyProblem(container: object, step: string, path: string): Refusal | null {
  if (Array.isArray(container) || !(step === '__proto__' || step === '.__proto__')) return null;
  return refuse(400, 'INVALID_BODY', `the body has a "__proto__" key (at ${printable(path, 80)}), which is refused`);
}

/** PostgreSQL cannot store NUL, and a lone surrogate cannot be encoded as UTF-8 for Kafka. */
function textProblem(text: string, where: string): Refusal | null {
  if (text.includes('\u0000')) return refuse(400, 'INVALID_TEXT', `${printable(where, 80)} contains a NUL character, which GitLab never sends`);
  if (!text.isWellFormed()) return refuse(400, 'INVALID_TEXT', `${printable(where, 80)} contains an unpaired UTF-16 surrogate, which is not text`);
  return null;
}

function projectPathProblem(body: Record<string, unknown>): Refusal | null {
  const project = body.project;
  if (project === null || typeof project !== 'object' || Array.isArray(project)) return null;
  const path = (project as Record<string, unknown>).path_with_namespace;
  if (typeof path !== 'string') return null;
  if (path.length <= MAX_PROJECT_PATH && GITLAB_PATH.test(path) && !DOTS_ONLY.test(path)) return null;
  const why = path.length > MAX_PROJECT_PATH
    ? `is ${path.length} characters long (at most ${MAX_PROJECT_PATH})`
    : 'is not a GitLab path (ASCII letters, digits, "_", "-" and "." in segments separated by "/")';
  return refuse(400, 'INVALID_PROJECT_PATH', `project.path_with_namespace "${printable(path, 60)}" ${why}`);
}
