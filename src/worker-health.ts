import { createServer } from 'node:http';
import { once } from 'node:events';
import { splitHostPort } from './domain/host-port.js';

/** What the health endpoint reports of one Temporal worker (its SDK state: RUNNING, DRAINING, FAILED, …). */
export interface WorkerState {
  taskQueue: string;
  state: string;
}

export interface HealthServer {
  /** host:port it listens on (the port the system chose when given 0). */
  address: string;
  close(): Promise<void>;
}

/**
 * `GET /healthz` for the worker process, for Kubernetes' probes: 200 `{ ok: true, workers }` while
 * there are workers and all are RUNNING, 503 `{ ok: false, workers }` before they start, while they
 * drain at shutdown and after one failed. It does not look at Temporal: the SDK polls again by
 * itself when Temporal comes back, and a restart would not bring Temporal back sooner.
 */
export async function serveWorkerHealth(address: string, workers: () => WorkerState[]): Promise<HealthServer> {
  const target = splitHostPort(address);
  if (!target) throw new Error(`WORKER_HEALTH_ADDRESS must be host:port, got '${address}'`);
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/healthz') {
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'only GET /healthz is served here' } }));
      return;
    }
    const states = workers();
    const ok = states.length > 0 && states.every((worker) => worker.state === 'RUNNING');
    response.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok, workers: states }));
  });
  server.listen(target.port, target.host);
  await once(server, 'listening').catch((error: Error) => {
    throw new Error(`the health endpoint (WORKER_HEALTH_ADDRESS) cannot listen on ${address}: ${error.message}`);
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : target.port;
  return {
    address: `${address.slice(0, address.lastIndexOf(':'))}:${port}`,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // Probes use keep-alive connections; without this, close would wait for them to idle out.
      server.closeAllConnections();
    }),
  };
}
