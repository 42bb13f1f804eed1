// For the gitlab-ci exam: GitLab's part. Every pipeline Gradeflow creates on the double is
// finished at once with a test report, and its webhooks (running, then success) are posted
// to the gateway as GitLab would send them.
import { gitlabFixture } from '../../test/support/gitlab.ts';
import type { DoublePipeline, GitLabDouble } from '../../test/support/gitlab-double.ts';


export function testReport(passed: number) {
  const cases = Array.from({ length: passed }, (_, i) => ({ status: 'success', name: `passes ${i}`, classname: 'Final', execution_time: 0.01, system_output: null, stack_trace: null }));
  const counts = { total_count: passed, success_count: passed, failed_count: 0, skipped_count: 0, error_count: 0 };
  return { total_time: 0.1, ...counts, test_suites: [{ name: 'final', total_time: 0.1, ...counts, suite_error: null, test_cases: cases }] };
}

function pipelineHook(pipeline: DoublePipeline, status: string, createdAt: Date): Record<string, unknown> {
  const body = gitlabFixture('pipeline.json') as Record<string, any>;
  const now = new Date();
  body.object_attributes = {
    ...body.object_attributes, id: pipeline.id, iid: pipeline.iid, sha: pipeline.sha, status, ref: pipeline.ref, source: 'api',
    // ISO 8601 with milliseconds (GitLab sends this or Rails-style seconds): the stage times in
    // the database stay exact to the millisecond.
    created_at: createdAt.toISOString(), finished_at: status === 'running' ? null : now.toISOString(),
    // As GitLab lists them: the variables the pipeline was created with.
    variables: Object.entries(pipeline.variables).map(([key, value]) => ({ key, value })),
  };
  body.project = { ...body.project, id: Number(pipeline.project), path_with_namespace: pipeline.variables.GRADEFLOW_PROJECT_PATH };
  delete body.merge_request;
  return body;
}

export class PipelineDriver {
  readonly #gitlab: GitLabDouble;
  readonly #gatewayUrl: string;
  readonly #secret: string;
  readonly #seen = new Set<number>();
  readonly #queue: DoublePipeline[] = [];
  readonly #timer: NodeJS.Timeout;
  #active = 0;
  readonly #maxActive = 16;
  /** Pipeline ids by the commit they test: more than one is a duplicate check. */
  readonly pipelinesBySha = new Map<string, number[]>();
  hooksPosted = 0;
  hookFailures = 0;

  constructor(gitlab: GitLabDouble, gatewayUrl: string, secret: string) {
    this.#gitlab = gitlab;
    this.#gatewayUrl = gatewayUrl;
    this.#secret = secret;
    this.#timer = setInterval(() => this.#scan(), 50);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #scan(): void {
    for (const pipeline of this.#gitlab.pipelines.values()) {
      if (this.#seen.has(pipeline.id)) continue;
      this.#seen.add(pipeline.id);
      const sha = pipeline.variables.GRADEFLOW_COMMIT_SHA ?? pipeline.sha;
      this.pipelinesBySha.set(sha, [...(this.pipelinesBySha.get(sha) ?? []), pipeline.id]);
      this.#queue.push(pipeline);
    }
    while (this.#active < this.#maxActive && this.#queue.length > 0) {
      const pipeline = this.#queue.shift() as DoublePipeline;
      this.#active += 1;
      void this.#finish(pipeline).finally(() => {
        this.#active -= 1;
      });
    }
  }

  async #finish(pipeline: DoublePipeline): Promise<void> {
    const createdAt = new Date();
    this.#gitlab.finishPipeline(pipeline.id, 'success', testReport(10));
    await this.#post(pipelineHook(pipeline, 'running', createdAt));
    await this.#post(pipelineHook(pipeline, 'success', createdAt));
  }

  async #post(body: Record<string, unknown>): Promise<void> {
    // A redelivery carries the same Idempotency-Key, as GitLab's does.
    const key = crypto.randomUUID();
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const status = await fetch(`${this.#gatewayUrl}/webhooks/gitlab`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Pipeline Hook', 'x-gitlab-token': this.#secret, 'idempotency-key': key },
        body: JSON.stringify(body),
      }).then(async (r) => {
        await r.arrayBuffer();
        return r.status;
      }).catch(() => 0);
      if (status === 202) {
        this.hooksPosted += 1;
        return;
      }
      this.hookFailures += 1;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}
