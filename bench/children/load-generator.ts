// Load generator of the ingestion section, in a process of its own so that its CPU is not the
// gateway's: it posts GitLab push webhooks (push.json re-pointed at the bench course, a new
// student, commit and Idempotency-Key on every request) and collects the event id of every
// accepted (202) webhook, which the consumption section then finds on the topic.
//
// Two ways of sending. At saturation autocannon keeps every connection busy (closed loop: a
// request leaves when the previous answer came). At a fixed rate it would not send a steady
// stream: its `overallRate` gives each connection a quota per second, sent back to back at the
// start of the second, then idles until the next one — 1,000/s becomes a burst of 1,000 every
// second, served at saturation speed — and it "corrects" latencies against an expected interval
// rounded up to 1 ms. So a fixed rate is sent here open loop: request n leaves at start + n/rate
// whatever the answers, and its latency counts from that planned time (a request that waits for
// a free connection or a late timer is charged the wait: no coordinated omission).
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { pushPayload } from '../../test/support/gitlab.ts';
import { helperMain } from '../lib/processes.ts';
import { percentile } from '../lib/report.ts';

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

/** The n-th webhook of a run: its headers and body (fixed-width placeholders keep every body
 * exactly the size of the fixture's). */
function webhooks(input: LoadInput) {
  const template = JSON.stringify(pushPayload({ path: `${input.course}/final/${STUDENT_MARK}`, projectId: 900_000, sha: SHA_MARK }));
  return {
    bodyBytes: Buffer.byteLength(template),
    request(n: number) {
      const sha = createHash('sha1').update(`${input.runId}:${n}`).digest('hex');
      const student = `s${String(n % input.students).padStart(6, '0')}`;
      return {
        headers: {
          'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': input.secret,
          'idempotency-key': `${input.runId}-${n}`,
        },
        body: template.replaceAll(SHA_MARK, sha).replace(STUDENT_MARK, student),
      };
    },
  };
}

/** What both ways of sending collect from the answers. */
class Answers {
  readonly accepted: string[] = [];
  readonly statusCounts: Record<string, number> = {};
  rateLimit: number | null = null;

  record(status: number, body: string, rateLimitHeader: string | string[] | undefined): void {
    this.rateLimit ??= typeof rateLimitHeader === 'string' ? Number(rateLimitHeader) : null;
    this.statusCounts[status] = (this.statusCounts[status] ?? 0) + 1;
    if (status === 202) this.accepted.push((JSON.parse(body) as { eventId: string }).eventId);
  }
}

async function run(input: LoadInput): Promise<LoadResult> {
  const load = webhooks(input);
  const answers = new Answers();
  const measured = input.overallRate === undefined ? await saturate(input, load, answers) : await steady(input, input.overallRate, load, answers);
  writeFileSync(input.idsFile, answers.accepted.join('\n'));
  return {
    ...measured,
    accepted: answers.accepted.length,
    statusCounts: answers.statusCounts,
    acceptedPerSecond: answers.accepted.length / measured.durationSeconds,
    bodyBytes: load.bodyBytes,
    rateLimitPerMinute: answers.rateLimit,
  };
}

type Measured = Pick<LoadResult, 'errors' | 'timeouts' | 'durationSeconds' | 'latencyMs'>;

/** Closed loop, as fast as `connections` connections get answers. */
async function saturate(input: LoadInput, load: ReturnType<typeof webhooks>, answers: Answers): Promise<Measured> {
  let counter = 0;
  const result = await autocannon({
    url: input.url,
    connections: input.connections,
    amount: input.amount,
    timeout: 30,
    requests: [{
      method: 'POST',
      path: '/webhooks/gitlab',
      setupRequest: (request) => ({ ...request, ...load.request(counter++) }),
      onResponse: (status, body, _context, headers) => answers.record(status, body, headers['x-ratelimit-limit']),
    }],
  });
  const { latency } = result;
  return {
    errors: result.errors, timeouts: result.timeouts, durationSeconds: result.duration,
    latencyMs: { p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max, mean: latency.mean },
  };
}

/** Open loop: request n is due at start + n / rate, over up to `connections` connections. */
async function steady(input: LoadInput, rate: number, load: ReturnType<typeof webhooks>, answers: Answers): Promise<Measured> {
  const pool = new Pool(new URL(input.url).origin, { connections: input.connections, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 });
  const latencies: number[] = new Array<number>(input.amount).fill(0);
  const intervalMs = 1000 / rate;
  let errors = 0;
  let timeouts = 0;
  let answered = 0;
  const start = performance.now();
  const send = (n: number, due: number) => pool.request({ method: 'POST', path: '/webhooks/gitlab', ...load.request(n) })
    .then(async (response) => answers.record(response.statusCode, await response.body.text(), response.headers['x-ratelimit-limit']))
    .catch((error: { code?: string }) => {
      if (error.code === 'UND_ERR_HEADERS_TIMEOUT' || error.code === 'UND_ERR_BODY_TIMEOUT') timeouts++;
      else errors++;
    })
    .finally(() => {
      latencies[n] = performance.now() - due;
      answered++;
    });
  const inFlight: Promise<void>[] = [];
  let sent = 0;
  while (sent < input.amount) {
    // Everything due by now leaves now; the timer's lateness is charged to those requests.
    const dueNow = Math.min(input.amount, Math.floor((performance.now() - start) / intervalMs) + 1);
    for (; sent < dueNow; sent++) inFlight.push(send(sent, start + sent * intervalMs));
    if (sent < input.amount) await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + sent * intervalMs - performance.now())));
  }
  await Promise.all(inFlight);
  const durationSeconds = (performance.now() - start) / 1000;
  await pool.close();
  if (answered !== input.amount) throw new Error(`${answered} of ${input.amount} requests settled`);
  const at = (q: number) => round(percentile(latencies, q));
  const mean = latencies.reduce((sum, v) => sum + v, 0) / latencies.length;
  return { errors, timeouts, durationSeconds, latencyMs: { p50: at(50), p90: at(90), p99: at(99), max: at(100), mean: round(mean) } };
}

const round = (ms: number) => Math.round(ms * 10) / 10;

helperMain(run);
