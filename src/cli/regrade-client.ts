// `gradeflow regrade`: asks the running system (its staff API) to re-queue the counting
// submissions, and draws the progress it streams back. Going through the API keeps one code
// path for every deployment, including `npm start` whose embedded database one process owns.
import { SingleBar, Presets } from 'cli-progress';
import { AppError } from '../errors/index.ts';

export interface RegradeRequest {
  readonly apiUrl: string;
  readonly token: string;
  readonly course: string;
  readonly assignment: string;
  readonly student?: string;
}

type Line = { progress: { done: number; total: number; student: string } } | { done: number } | { error: string; message: string };

export async function requestRegrade(request: RegradeRequest, out: NodeJS.WritableStream = process.stderr): Promise<number> {
  const response = await fetch(`${request.apiUrl}/api/regrades`, {
    method: 'POST',
    headers: { authorization: `Bearer ${request.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ course: request.course, assignment: request.assignment, ...(request.student === undefined ? {} : { student: request.student }) }),
  }).catch((error: unknown) => {
    throw new AppError('API_UNREACHABLE', `cannot reach Gradeflow at ${request.apiUrl} (is it running? set GRADEFLOW_API_URL): ${(error as Error).message}`);
  });
  if (!response.ok || response.body === null) {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    throw new AppError('REGRADE_REFUSED', `re-grade refused (${response.status}): ${body.message ?? response.statusText}`);
  }
  const bar = new SingleBar({ stream: out, format: 'regrade {bar} {value}/{total} {student}', hideCursor: true }, Presets.shades_classic);
  let total = 0;
  for await (const line of lines(response.body)) {
    const message = JSON.parse(line) as Line;
    if ('progress' in message) {
      if (total === 0) bar.start(message.progress.total, 0, { student: '' });
      total = message.progress.total;
      bar.update(message.progress.done, { student: message.progress.student });
    } else if ('done' in message) {
      if (total > 0) bar.stop();
      return message.done;
    } else {
      if (total > 0) bar.stop();
      throw new AppError(message.error, message.message);
    }
  }
  throw new AppError('REGRADE_INTERRUPTED', 'the server closed the connection before the re-grade finished; run it again (re-queuing is safe)');
}

async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line !== '') yield line;
      newline = buffered.indexOf('\n');
    }
  }
}
