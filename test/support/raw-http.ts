// HTTP/1.1 over a bare socket, for requests fetch() refuses to send: headers sent twice,
// Content-Length that lies, bodies trickled byte by byte, malformed request heads. Reads until
// the server closes the connection (every request says Connection: close) or a deadline.
import net from 'node:net';

export interface RawRequest {
  /** Header lines besides Host, Connection and Content-Length, in order (repeats allowed). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string | Buffer;
  /** Default: the body's real length. 'omit': none. 'chunked': Transfer-Encoding: chunked. */
  readonly contentLength?: number | string | 'omit' | 'chunked';
  /** Close our writing side right after the bytes, as a client that gives up. */
  readonly halfClose?: boolean;
  /** Overrides the whole request head (method line and headers), for malformed HTTP. */
  readonly rawHead?: string;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
  readonly json: any;
  /** Everything the server wrote, e.g. a second answer after the first. */
  readonly raw: string;
  /** From the first byte sent to the server closing the connection. */
  readonly elapsedMs: number;
  readonly timedOut: boolean;
}

export function requestBytes(path: string, request: RawRequest): Buffer {
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8');
  const lines = request.rawHead?.split('\r\n') ?? [`POST ${path} HTTP/1.1`, 'Host: gateway.test', 'Connection: close', ...request.headers.map(([name, value]) => `${name}: ${value}`)];
  const length = request.contentLength ?? body.length;
  if (length === 'chunked') lines.push('Transfer-Encoding: chunked');
  else if (length !== 'omit' && request.rawHead === undefined) lines.push(`Content-Length: ${length}`);
  const payload = length === 'chunked' ? Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]) : body;
  // latin1 keeps header bytes as given (obs-text), as a non-Node client would send them.
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
}

export function parseResponse(raw: string, elapsedMs: number, timedOut: boolean): RawResponse {
  const headEnd = raw.indexOf('\r\n\r\n');
  const head = headEnd < 0 ? raw : raw.slice(0, headEnd);
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = new Map(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()] as const));
  const rest = headEnd < 0 ? '' : raw.slice(headEnd + 4);
  const length = Number(headers.get('content-length') ?? rest.length);
  const body = Buffer.from(rest, 'utf8').subarray(0, length).toString('utf8');
  let json: unknown = null;
  try {
    json = JSON.parse(body);
  } catch {
    json = { raw: body };
  }
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body, json, raw, elapsedMs, timedOut };
}

export interface SendOptions {
  readonly timeoutMs?: number;
  /** Writes the bytes one at a time, every `trickleMs`: a slow-loris client. */
  readonly trickleMs?: number;
  /** With trickleMs: how many bytes go at once before the trickle starts (e.g. the head). */
  readonly trickleAfter?: number;
}

/** Sends the request and resolves once the server closed the connection (or the deadline passed). */
export function sendRaw(port: number, path: string, request: RawRequest, options: SendOptions = {}): Promise<RawResponse> {
  const bytes = requestBytes(path, request);
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timedOut = false;
    let trickle: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, options.timeoutMs ?? 15_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {}); // a reset after the answer is an outcome, read from 'close'
    socket.on('close', () => {
      clearTimeout(deadline);
      clearInterval(trickle);
      resolve(parseResponse(Buffer.concat(chunks).toString('utf8'), performance.now() - started, timedOut));
    });
    socket.on('connect', () => {
      if (options.trickleMs === undefined) {
        socket.write(bytes);
        if (request.halfClose) socket.end();
        return;
      }
      let sent = options.trickleAfter ?? 0;
      socket.write(bytes.subarray(0, sent));
      trickle = setInterval(() => {
        if (sent < bytes.length && socket.writable) socket.write(bytes.subarray(sent, ++sent));
      }, options.trickleMs);
    });
  });
}
