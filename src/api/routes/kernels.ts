import { Type } from '@sinclair/typebox';
import { randomUUID } from 'node:crypto';
import { KernelRequest, kernelIdPattern, toKernelSessionInput, type KernelRequestContext } from '../../client/kernel-request.js';
import { ClustersClient } from '../../client/clusters.js';
import { KernelsClient } from '../../client/kernels.js';
import { kernelPhases, type KernelPhase } from '../../domain/kernel-session.js';
import type { Api, ApiDeps } from '../app.js';
import { logWorkflow } from '../request-log.js';

const KernelParams = Type.Object({ kernelId: Type.String({ pattern: kernelIdPattern }) });
const Status = Type.Object({
  kernelId: Type.String(), user: Type.String(), kernelName: Type.String(),
  phase: Type.Unsafe<KernelPhase>({ type: 'string', enum: [...kernelPhases] }),
  namespace: Type.String(), pod: Type.String(), podIP: Type.Optional(Type.String()), lastActivity: Type.String(),
  restarts: Type.Integer(), error: Type.Optional(Type.String()), cleanedUp: Type.Boolean(),
});

export function kernelRoutes(deps: Pick<ApiDeps, 'temporal' | 'taskQueue'> & { kernels: Omit<KernelRequestContext, 'newKernelId'> }) {
  const kernels = new KernelsClient(deps.temporal.client, deps.taskQueue, deps.kernels.maxPerUser);
  const clusters = new ClustersClient(deps.temporal.client, deps.taskQueue);
  return async function register(app: Api): Promise<void> {
    const config = { scope: 'kernels' as const, computeKind: 'kernel' as const };

    app.post('/v1/kernels', {
      config,
      schema: { summary: 'Start a kernel session (idempotent on kernelId); 409 LIMIT_EXCEEDED when the user holds the maximum of kernels', body: KernelRequest, response: { 202: Type.Object({ kernelId: Type.String(), workflowId: Type.String() }) } },
    }, async (request, reply) => {
      const input = toKernelSessionInput(request.body, { ...deps.kernels, newKernelId: randomUUID });
      await clusters.requireRunning(input.cluster, 'cluster');
      const started = await kernels.start(input);
      logWorkflow(request, reply, 'kernel', started.workflowId);
      return reply.status(202).send({ kernelId: started.kernelId, workflowId: started.workflowId });
    });

    app.get('/v1/kernels/:kernelId', { config, schema: { summary: 'Status of a kernel', params: KernelParams, response: { 200: Status } } },
      (request) => kernels.status(request.params.kernelId));

    app.get('/v1/kernels/:kernelId/progress', {
      config,
      schema: {
        summary: "Launch steps of a kernel and its pod's Kubernetes events, oldest first",
        params: KernelParams,
        response: { 200: Type.Object({ steps: Type.Array(Type.Object({ step: Type.String(), at: Type.String(), source: Type.Union([Type.Literal('orchestrator'), Type.Literal('kubernetes')]) })) }) },
      },
    }, async (request) => ({ steps: await kernels.progress(request.params.kernelId) }));

    app.post('/v1/kernels/:kernelId/activity', { config, schema: { summary: 'Mark use: resets the idle timer', params: KernelParams } },
      async (request, reply) => {
        await kernels.touch(request.params.kernelId);
        return reply.status(204).send();
      });

    app.delete('/v1/kernels/:kernelId', {
      config,
      schema: { summary: 'Shut a kernel down', params: KernelParams, response: { 202: Type.Object({ kernelId: Type.String() }) } },
    }, async (request, reply) => {
      await kernels.shutdown(request.params.kernelId, { by: request.principal?.name });
      return reply.status(202).send({ kernelId: request.params.kernelId });
    });

    app.get('/v1/kernels', {
      config,
      schema: {
        summary: 'Kernels, newest first',
        querystring: Type.Object({ user: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ kernels: Type.Array(Status) }) },
      },
    }, async (request) => ({ kernels: await kernels.list({ user: request.query.user }) }));
  };
}
