// Load generator of the ingestion section, in a process of its own so that its CPU is not the
// gateway's: autocannon posts GitLab push webhooks (push.json re-pointed at the bench course,
// a new student, commit and Idempotency-Key on every request) and collects the event id of
// every accepted (202) webhook, which the consumption section then finds on the topic.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { pushPayload } from '../../test/support/gitlab.ts';
import { helperMain } from '../lib/processes.ts';

export interface LoadInput {
  readonly url: string;
  readonly secret: string;
  readonly course: string;
  readonly students: number;
  readonly amount: number;
  readonly connections: number;
  /** Requests per second from all connections; undefined: as fast as the server answers. */
  readonly overallRate?: number;
  /** Distinguishes the commits of two runs against the same gateway. */
  readonly runId: string;
  /** Where the accepted event ids are written, one per line. */
  readonly idsFile: string;
}

export interface LoadResult {
  readonly accepted: number;
  readonly statusCounts: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  readonly durationSeconds: number;
  readonly acceptedPerSecond: number;
  readonly latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  readonly bodyBytes: number;
  /** The gateway's per-source limit as it announces it (x-ratelimit-limit), if any. */
  readonly rateLimitPerMinute: number | null;
}

const SHA_MARK = '5a'.repeat(20);
const STUDENT_MARK = 'sXXXXXX';

async function run(input: LoadInput): Promise<LoadResult> {
  // Fixed-width placeholders keep every body exactly the size of the fixture's.
  const template = JSON.stringify(pushPayload({ path: `${input.course}/final/${STUDENT_MARK}`, projectId: 900_000, sha: SHA_MARK }));
  let counter = 0;
  const accepted: string[] = [];
  const statusCounts: Record<string, number> = {};
  let rateLimit: number | null = null;
  const result = await autocannon({
    url: input.url,
    connections: input.connections,
    amount: input.amount,
    ...(input.overallRate === undefined ? {} : { overallRate: input.overallRate }),
    timeout: 30,
    requests: [{
      method: 'POST',
      path: '/webhooks/gitlab',
      setupRequest: (request) => {
        const n = counter++;
        const sha = createHash('sha1').update(`${input.runId}:${n}`).digest('hex');
        const student = `s${String(n % input.students).padStart(6, '0')}`;
        return {
          ...request,
          headers: {
            'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': input.secret,
            'idempotency-key': `${input.runId}-${n}`,
          },
          body: template.replaceAll(SHA_MARK, sha).replace(STUDENT_MARK, student),
        };
      },
      onResponse: (status, body, _context, headers) => {
        rateLimit ??= headers['x-ratelimit-limit'] === undefined ? null : Number(headers['x-ratelimit-limit']);
        statusCounts[status] = (statusCounts[status] ?? 0) + 1;
        if (status === 202) accepted.push((JSON.parse(body) as { eventId: string }).eventId);
      },
    }],
  });
  writeFileSync(input.idsFile, accepted.join('\n'));
  const { latency } = result;
  return {
    accepted: accepted.length,
    statusCounts,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: result.duration,
    acceptedPerSecond: accepted.length / result.duration,
    latencyMs: { p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max, mean: latency.mean },
    bodyBytes: Buffer.byteLength(template),
    rateLimitPerMinute: rateLimit,
  };
}

helperMain(run);
