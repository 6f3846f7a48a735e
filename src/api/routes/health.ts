import { Type } from '@sinclair/typebox';
import { checkHealth } from '../../client/health.js';
import type { Api, ApiDeps } from '../api-types.js';

const Component = Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) });
const Health = Type.Object({
  ok: Type.Boolean(),
  temporal: Component,
  worker: Type.Intersect([Component, Type.Object({ pollers: Type.Integer() })]),
});

export function healthRoutes(deps: Pick<ApiDeps, 'temporal' | 'taskQueue'>) {
  return async function register(app: Api): Promise<void> {
    app.get('/healthz', {
      config: { public: true },
      schema: {
        operationId: 'getHealth', tags: ['health'],
        summary: 'Up when the API reaches Temporal and a worker polls the task queue',
        response: { 200: { ...Health, description: 'Temporal answers and a worker polls the task queue' }, 503: { ...Health, description: 'Temporal or the worker is not there: `error` says which' } },
      },
    }, async (_request, reply) => {
      const report = await checkHealth(deps.temporal, deps.taskQueue);
      return reply.status(report.ok ? 200 : 503).send(report);
    });
  };
}
