// Baseline of the services' event-loop delay: a Node process with the services' heap flags and
// the same prom-client default metrics (the event-loop delay histogram every service reports),
// serving /metrics and doing nothing else. Run beside the services during an exam, its delay is
// what the machine's scheduling alone gives a Node process: with both cores busy, a timer fires
// late when the process waits for a core, whatever its own work. PORT from the environment;
// stops on SIGTERM.
import { createServer } from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error(`PORT must be a port number, got "${process.env.PORT}"`);

const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'gradeflow_' });
const server = createServer((request, response) => {
  if (request.url === '/metrics') {
    void registry.metrics().then((text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text));
    return;
  }
  response.writeHead(request.url === '/healthz' ? 200 : 404).end();
});
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
