import { Type } from '@sinclair/typebox';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { countWorkflows, type WorkflowCount } from '../client/workflow-counts.js';
import type { Api, ApiDeps } from './api-types.js';

/** Scrapes within this window share one set of visibility counts, so no scrape rate can hammer Temporal. */
const countsTtlMs = 5_000;

/** The counts of the last few seconds; a failed count is kept as long, so a Temporal outage is not retried per scrape either. */
function cachedCounts(deps: Pick<ApiDeps, 'temporal' | 'taskQueue'>): () => Promise<WorkflowCount[]> {
  let cached: { at: number; counts: Promise<WorkflowCount[]> } | undefined;
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at >= countsTtlMs) {
      const counts = countWorkflows(deps.temporal.client, deps.taskQueue);
      counts.catch(() => undefined); // read by the collectors; this only stops an unhandled rejection between scrapes
      cached = { at: now, counts };
    }
    return cached.counts;
  };
}

/**
 * `GET /metrics` in Prometheus' text format: the process's default metrics, every request by
 * route and status code, and the task queue's jobs, kernels and clusters by ExecutionStatus,
 * counted in Temporal's visibility at scrape time. On the root instance, not in a plugin, so its
 * hook sees every route's requests.
 */
export function installMetrics(app: Api, deps: Pick<ApiDeps, 'temporal' | 'taskQueue' | 'logger'>): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status_code'] as const;
  const requests = new Counter({ name: 'compute_orchestrator_api_requests_total', help: 'API requests by route and status code', labelNames, registers: [registry] });
  const duration = new Histogram({
    name: 'compute_orchestrator_api_request_duration_seconds', help: 'API request duration by route and status code', labelNames, registers: [registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the URL: ids in paths would make a series per job.
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });

  const counts = cachedCounts(deps);
  new Gauge({
    name: 'compute_orchestrator_workflows', help: 'Spark jobs, kernels and clusters of this task queue by ExecutionStatus (Temporal visibility, cached 5 s)',
    labelNames: ['kind', 'status'] as const, registers: [registry],
    async collect() {
      this.reset();
      const counted = await counts().catch((error: unknown) => {
        deps.logger.warn({ err: error }, 'cannot count workflows in Temporal visibility for /metrics');
        return [];
      });
      for (const { kind, status, count } of counted) this.set({ kind, status }, count);
    },
  });
  new Gauge({
    name: 'compute_orchestrator_workflows_counted', help: '1 when compute_orchestrator_workflows holds fresh counts, 0 when Temporal visibility did not answer',
    registers: [registry],
    async collect() {
      this.set(await counts().then(() => 1, () => 0));
    },
  });

  app.get('/metrics', {
    config: { scope: 'metrics' },
    schema: {
      operationId: 'getMetrics', tags: ['metrics'],
      summary: 'Prometheus metrics: process, requests by route and status, workflows by kind and status',
      // As `content`, not a bare schema: that would document the text as application/json.
      response: { 200: { description: "Prometheus' text exposition format (text/plain; version=0.0.4)", content: { 'text/plain': { schema: Type.String() } } } },
    },
  }, async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
}
