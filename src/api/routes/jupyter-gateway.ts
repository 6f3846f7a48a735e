import { Type } from '@sinclair/typebox';
import type {} from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import { KernelsClient } from '../../client/kernels.js';
import { KernelGateway, type GatewayActor, type KernelEndpoint, type KernelEndpoints } from '../../client/kernel-gateway.js';
import type { KernelRequestContext } from '../../client/kernel-request.js';
import type { KernelStatus } from '../../domain/kernel-session.js';
import { kernelWebSocketV1 } from '../../jupyter/websocket-protocol.js';
import type { Api, ApiDeps } from '../api-types.js';
import { HttpError } from '../errors.js';
import { bridgeChannels } from '../jupyter-channels.js';
import { KernelParams } from './kernels.js';
import { anyKeys } from './shared-schemas.js';

const SpecParams = Type.Object({ name: Type.String({ maxLength: 64 }) });
const KernelModel = Type.Object({
  id: Type.String(), name: Type.String(),
  last_activity: Type.String({ description: 'ISO 8601' }),
  execution_state: Type.String({ description: 'starting, idle or busy' }),
  connections: Type.Integer(),
}, { description: "A kernel as Jupyter's REST API describes it" });
const KernelSpecModel = Type.Object({
  name: Type.String(),
  spec: Type.Object({
    argv: Type.Array(Type.String()), display_name: Type.String(), language: Type.String(), interrupt_mode: Type.String(),
    env: Type.Record(Type.String(), Type.String()), metadata: Type.Record(Type.String(), Type.Unknown()),
  }),
  resources: Type.Record(Type.String(), Type.String()),
}, { description: "A kernel spec as Jupyter's REST API describes it; the kernel's image starts it, so argv is empty" });
const StartBody = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 64, description: 'A kernel spec; the default one when absent' })),
  env: Type.Optional(anyKeys(Type.String({ maxLength: 4096 }), {
    maxProperties: 256, description: 'KERNEL_* variables are the kernel\'s (KERNEL_USERNAME is the user); others are ignored, as Enterprise Gateway does',
  })),
}, { additionalProperties: true, description: "Jupyter Server's start request; fields it may add (path, …) are ignored" });

const actorOf = (request: FastifyRequest): GatewayActor => ({ name: request.principal?.name ?? 'anonymous', ...(request.principal?.user !== undefined ? { user: request.principal.user } : {}) });

/**
 * Jupyter's gateway API, as Enterprise Gateway serves it to Jupyter Server's GatewayClient, on
 * the same kernel sessions as /v1/kernels: kernel specs, kernels, interrupt, restart and the
 * channels WebSocket. Tokens are the API's, presented as `Authorization: token …`.
 */
export function jupyterGatewayRoutes(deps: Pick<ApiDeps, 'temporal' | 'taskQueue' | 'knownClusters'> & { kernels: KernelRequestContext; kernelEndpoints: KernelEndpoints }) {
  const gateway = new KernelGateway({ temporal: deps.temporal.client, taskQueue: deps.taskQueue, kernels: deps.kernels, knownClusters: deps.knownClusters }, deps.kernelEndpoints);
  const kernels = new KernelsClient(deps.temporal.client, deps.taskQueue);
  return async function register(app: Api): Promise<void> {
    const config = { scope: 'kernels' as const, computeKind: 'kernel' as const };
    // Routes that name no kernel in their path: nothing to add to their log lines.
    const specConfig = { scope: 'kernels' as const };
    const tags = ['jupyter'];

    app.get('/api/kernelspecs', {
      config: specConfig,
      schema: {
        operationId: 'jupyterListKernelSpecs', tags, summary: 'Kernel specs of the kernels clients can reach',
        response: { 200: Type.Object({ default: Type.String(), kernelspecs: Type.Record(Type.String(), KernelSpecModel) }, { description: 'By name' }) },
      },
    }, async () => gateway.specs());

    app.get('/api/kernelspecs/:name', {
      config: specConfig,
      schema: { operationId: 'jupyterGetKernelSpec', tags, summary: 'One kernel spec', params: SpecParams, response: { 200: KernelSpecModel } },
    }, async (request) => gateway.spec(request.params.name));

    app.get('/kernelspecs/:name/*', {
      config: specConfig,
      schema: { operationId: 'jupyterGetKernelSpecResource', tags, summary: "A kernel spec's resource (logos): none are served", params: Type.Object({ name: Type.String(), '*': Type.String() }) },
    }, async (request) => {
      gateway.spec(request.params.name);
      throw new HttpError(404, 'NOT_FOUND', `kernel spec '${request.params.name}' has no resource '${request.params['*']}'`);
    });

    app.get('/api/kernels', {
      config: specConfig,
      schema: { operationId: 'jupyterListKernels', tags, summary: "Running kernels (a user's token: that user's)", response: { 200: Type.Array(KernelModel, { description: 'Kernels that are starting or running' }) } },
    }, async (request) => gateway.list(actorOf(request)));

    app.post('/api/kernels', {
      config: specConfig,
      schema: {
        operationId: 'jupyterStartKernel', tags,
        summary: 'Start a kernel; answers once it is usable (it answered a kernel_info_request)',
        description: 'Every KERNEL_* rule of POST /v1/kernels applies; over the user\'s limit is 409 LIMIT_EXCEEDED, a launch that fails or times out 503.',
        body: StartBody,
        response: { 201: KernelModel },
      },
    }, async (request, reply) => reply.status(201).send(await gateway.start(actorOf(request), request.body)));

    app.get('/api/kernels/:kernelId', {
      config, schema: { operationId: 'jupyterGetKernel', tags, summary: 'A running kernel; an ended one is 404', params: KernelParams, response: { 200: KernelModel } },
    }, async (request) => gateway.get(actorOf(request), request.params.kernelId));

    app.delete('/api/kernels/:kernelId', {
      config, schema: { operationId: 'jupyterShutdownKernel', tags, summary: 'Shut a kernel down (its session ends STOPPED)', params: KernelParams, response: { 204: Type.Null({ description: 'Shutdown requested' }) } },
    }, async (request, reply) => {
      await gateway.shutdown(actorOf(request), request.params.kernelId);
      return reply.status(204).send(null);
    });

    app.post('/api/kernels/:kernelId/interrupt', {
      config, schema: { operationId: 'jupyterInterruptKernel', tags, summary: 'Interrupt what the kernel runs (SIGINT through its launcher)', params: KernelParams, response: { 204: Type.Null({ description: 'Interrupted' }) } },
    }, async (request, reply) => {
      await gateway.interrupt(actorOf(request), request.params.kernelId);
      return reply.status(204).send(null);
    });

    app.post('/api/kernels/:kernelId/restart', {
      config,
      schema: {
        operationId: 'jupyterRestartKernel', tags,
        summary: 'A new kernel in the same session (namespace, idle deadline); answers once it is usable',
        params: KernelParams, response: { 200: KernelModel },
      },
    }, async (request) => gateway.restart(actorOf(request), request.params.kernelId));

    // Resolved before the upgrade, so that a refusal is an HTTP answer, not a WebSocket closed at once.
    const bridged = new WeakMap<FastifyRequest, { status: KernelStatus; endpoint: KernelEndpoint }>();
    app.get('/api/kernels/:kernelId/channels', {
      config,
      websocket: true,
      schema: { operationId: 'jupyterKernelChannels', tags, summary: `The kernel's channels over a WebSocket (subprotocol ${kernelWebSocketV1}, or Jupyter's JSON one)`, params: KernelParams, hide: true },
      preHandler: async (request) => {
        bridged.set(request, await gateway.endpoint(actorOf(request), request.params.kernelId));
      },
    }, (socket, request) => {
      const target = bridged.get(request)!;
      bridgeChannels(socket, socket.protocol === kernelWebSocketV1 ? 'v1' : 'json', target.status, target.endpoint, kernels, request.log);
    });
  };
}
