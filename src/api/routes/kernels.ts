import { Type } from '@sinclair/typebox';
import { KernelRequest, kernelIdPattern, type KernelRequestContext } from '../../client/kernel-request.js';
import { KernelsClient } from '../../client/kernels.js';
import { startKernel } from '../../client/start-kernel.js';
import { kernelPhases, type KernelPhase } from '../../domain/kernel-session.js';
import type { Api, ApiDeps } from '../api-types.js';
import { errorResponse } from '../errors.js';
import { logWorkflow } from '../request-log.js';
import { userFilter } from './shared-schemas.js';

export const KernelParams = Type.Object({ kernelId: Type.String({ pattern: kernelIdPattern }) });
const Status = Type.Object({
  kernelId: Type.String(), user: Type.String(), cluster: Type.String(), kernelName: Type.String(),
  phase: Type.Unsafe<KernelPhase>({ type: 'string', enum: [...kernelPhases], description: 'STARTING → RUNNING → CULLED | STOPPED | FAILED' }),
  namespace: Type.String(), pod: Type.String(), podIP: Type.Optional(Type.String({ description: 'Once the pod runs' })),
  lastActivity: Type.String({ description: 'ISO 8601; the idle timer counts from it' }),
  restarts: Type.Integer({ description: 'Times the pod died on its own and was started again' }),
  launchedAt: Type.Optional(Type.String({ description: 'When the kernel now running was launched (ISO 8601); a restart changes it' })),
  executionState: Type.Optional(Type.Union([Type.Literal('busy'), Type.Literal('idle')], { description: 'As Jupyter reports it, for kernels clients reach' })),
  connections: Type.Optional(Type.Integer({ description: "Clients connected to the kernel's channels through the gateway" })),
  error: Type.Optional(Type.String({ description: 'Why the session failed or ended' })),
  cleanedUp: Type.Boolean({ description: 'The pod, and the namespace made for the kernel, are gone' }),
}, { description: "The kernel's phase and pod" });
const ended = errorResponse('The kernel has already ended (CONFLICT)');

export function kernelRoutes(deps: Pick<ApiDeps, 'temporal' | 'taskQueue' | 'knownClusters'> & { kernels: KernelRequestContext }) {
  const kernels = new KernelsClient(deps.temporal.client, deps.taskQueue);
  return async function register(app: Api): Promise<void> {
    const config = { scope: 'kernels' as const, computeKind: 'kernel' as const };
    const tags = ['kernels'];

    app.post('/v1/kernels', {
      config,
      schema: {
        operationId: 'startKernel', tags,
        summary: 'Start a kernel session (idempotent on kernelId); 409 LIMIT_EXCEEDED when the user holds the maximum of kernels',
        description: 'Only KERNEL_* variables are accepted in `env`: a prohibited KERNEL_UID/KERNEL_GID or a protected KERNEL_NAMESPACE is 403 naming the field, a bad quantity 400.',
        body: KernelRequest,
        response: {
          202: Type.Object({ kernelId: Type.String(), workflowId: Type.String() }, { description: 'The kernel is starting, or already exists under this kernelId' }),
          409: errorResponse('The user holds the maximum of kernels (LIMIT_EXCEEDED)'),
        },
      },
    }, async (request, reply) => {
      const started = await startKernel({ temporal: deps.temporal.client, taskQueue: deps.taskQueue, kernels: deps.kernels, knownClusters: deps.knownClusters }, request.body);
      logWorkflow(request, reply, 'kernel', started.workflowId);
      return reply.status(202).send({ kernelId: started.kernelId, workflowId: started.workflowId });
    });

    app.get('/v1/kernels/:kernelId', { config, schema: { operationId: 'getKernel', tags, summary: 'Status of a kernel', params: KernelParams, response: { 200: Status } } },
      (request) => kernels.status(request.params.kernelId));

    app.get('/v1/kernels/:kernelId/progress', {
      config,
      schema: {
        operationId: 'getKernelProgress', tags,
        summary: "Launch steps of a kernel and its pod's Kubernetes events, oldest first",
        params: KernelParams,
        response: {
          200: Type.Object({
            steps: Type.Array(Type.Object({
              step: Type.String(), at: Type.String({ description: 'ISO 8601' }),
              source: Type.Union([Type.Literal('orchestrator'), Type.Literal('kubernetes')], { description: "The orchestrator's own step, or an event of the pod" }),
            })),
          }, { description: 'Every step of every launch so far (restarts included)' }),
        },
      },
    }, async (request) => ({ steps: await kernels.progress(request.params.kernelId) }));

    app.post('/v1/kernels/:kernelId/activity', {
      config,
      schema: {
        operationId: 'touchKernel', tags, summary: 'Mark use: resets the idle timer', params: KernelParams,
        response: { 204: Type.Null({ description: 'The idle timer starts again' }), 409: ended },
      },
    },
      async (request, reply) => {
        await kernels.touch(request.params.kernelId);
        return reply.status(204).send(null);
      });

    app.delete('/v1/kernels/:kernelId', {
      config,
      schema: {
        operationId: 'shutdownKernel', tags, summary: 'Shut a kernel down', description: 'The kernel then ends STOPPED once cleaned up.', params: KernelParams,
        response: { 202: Type.Object({ kernelId: Type.String() }, { description: 'Shutdown requested' }), 409: ended },
      },
    }, async (request, reply) => {
      await kernels.shutdown(request.params.kernelId, { by: request.principal?.name });
      return reply.status(202).send({ kernelId: request.params.kernelId });
    });

    app.get('/v1/kernels', {
      config,
      schema: {
        operationId: 'listKernels', tags,
        summary: 'Kernels, newest first',
        querystring: userFilter('kernels'),
        response: { 200: Type.Object({ kernels: Type.Array(Status) }, { description: 'At most 100 kernels, newest first' }) },
      },
    }, async (request) => ({ kernels: await kernels.list({ user: request.query.user }) }));
  };
}
