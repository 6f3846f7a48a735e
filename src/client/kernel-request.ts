import { Type, type Static } from '@sinclair/typebox';
import { randomUUID } from 'node:crypto';
import { anyKeys, checkAgainst, dssUser } from './schema-check.js';
import { planKernel, type KernelPolicy } from '../domain/kernel-pod.js';
import { defaultCullIdleTimeoutSeconds, defaultMaxKernelRestarts, type KernelSessionInput } from '../domain/kernel-session.js';
import type { KernelCatalog } from '../domain/kernel-specs.js';
import { checkClientId } from '../domain/workflow-ids.js';

export const kernelIdPattern = '^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$';

/** POST /v1/kernels. */
export const KernelRequest = Type.Object({
  kernelId: Type.Optional(Type.String({ pattern: kernelIdPattern, description: 'Idempotency key: the same id again is the same kernel' })),
  user: dssUser('DSS login, also KERNEL_USERNAME; without control characters'),
  kernelName: Type.Optional(Type.String({ maxLength: 64, description: 'A configured kernel; the default kernel when absent' })),
  cluster: Type.Optional(Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', default: 'local' })),
  env: Type.Optional(anyKeys(Type.String({ maxLength: 4096 }), { maxKeyLength: 72, maxProperties: 64, description: 'KERNEL_* variables (names of at most 72 characters)' })),
  cullIdleTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 7 * 24 * 3600, description: `Default ${defaultCullIdleTimeoutSeconds}` })),
  maxAgeSeconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 90 * 24 * 3600, description: 'Cull this long after the start, in use or not' })),
}, { additionalProperties: false });
export type KernelRequest = Static<typeof KernelRequest>;

export interface KernelRequestContext {
  catalog: KernelCatalog;
  policy: KernelPolicy;
  /** Concurrent kernels per user; 0: no limit. */
  maxPerUser: number;
  historyEventLimit: number;
  /** Whether idle kernels with a client connected are culled too. */
  cullConnected: boolean;
}

/** The workflow's input: kernel resolved, plan validated (400/403 naming the field); a new kernel id when the request has none. */
export function toKernelSessionInput(request: KernelRequest, context: KernelRequestContext): KernelSessionInput {
  if (request.kernelId !== undefined) checkClientId('kernelId', request.kernelId);
  const spec = context.catalog.resolve(request.kernelName);
  const plan = planKernel({ kernelId: request.kernelId ?? randomUUID(), user: request.user, env: request.env ?? {} }, context.policy);
  return {
    cluster: request.cluster ?? 'local',
    plan,
    spec,
    cullIdleTimeoutSeconds: request.cullIdleTimeoutSeconds ?? defaultCullIdleTimeoutSeconds,
    ...(request.maxAgeSeconds !== undefined ? { maxAgeSeconds: request.maxAgeSeconds } : {}),
    maxRestarts: defaultMaxKernelRestarts,
    historyEventLimit: context.historyEventLimit,
    cullConnected: context.cullConnected,
  };
}

/** Schema check outside the API (the CLI), naming the field as the API does. */
export function checkKernelRequest(candidate: unknown): KernelRequest {
  return checkAgainst(KernelRequest, candidate);
}
