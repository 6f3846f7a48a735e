import { DomainError, validationError } from './errors.js';
import { connectsBack, type KernelSpec } from './kernel-specs.js';
import { kernelWorkflowId } from './workflow-ids.js';
import type { Marks } from './labels.js';
import { isProtectedNamespace } from './namespace-template.js';
import { toDnsLabel } from './naming.js';

/** What a client asks for (DESIGN.md `POST /v1/kernels`), after schema validation. */
export interface KernelRequest {
  kernelId: string;
  user: string;
  env: Record<string, string>;
}

export interface KernelPolicy {
  prohibitedUids: number[];
  prohibitedGids: number[];
  orchestratorNamespace: string;
}

/** Enterprise Gateway's names for the per-kernel ClusterRole and its binding. */
export const kernelControllerClusterRole = 'kernel-controller';
/** The orchestrator's own right on a kernel's connection Secret, bound in the kernel's namespace while it lives. */
export const kernelConnectionsClusterRole = 'compute-orchestrator-kernel-connections';
/** deploy/rbac's account of the worker and the API. */
export const orchestratorServiceAccount = 'compute-orchestrator';
/** The kernel pod's one container, by which its end is judged. */
export const kernelContainerName = 'kernel';

export const defaultKernelUid = 1000;
export const defaultKernelGid = 100;
export const defaultLaunchTimeoutSeconds = 60;

/** Everything the session needs, derived and validated from the request; nothing unchecked. */
export interface KernelPlan {
  kernelId: string;
  user: string;
  workflowId: string;
  namespace: string;
  /** False when the client brought KERNEL_NAMESPACE: then it is neither created nor deleted. */
  createNamespace: boolean;
  serviceAccount: string;
  podName: string;
  uid: number;
  gid: number;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  launchTimeoutSeconds: number;
  env: Array<{ name: string; value: string }>;
  /** The namespace of the orchestrator's own account, which reads the kernel's connection Secret (absent in plans made before kernels connected back). */
  orchestratorNamespace?: string;
  /**
   * The kernel's own binding of the orchestrator's account on its connection Secret: one per
   * kernel, so that kernels sharing a namespace the client brings do not take each other's name
   * (absent in plans made before; they used the cluster role's name).
   */
  connectionsBinding?: string;
}

const envName = /^KERNEL_[A-Z0-9_]{1,64}$/;
const maxEnvValue = 4096;
const cpuOrMemory = /^(\d+(\.\d+)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const dnsLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const serviceAccountName = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

const resourceVariables = [
  ['KERNEL_CPUS', 'cpu', cpuOrMemory],
  ['KERNEL_MEMORY', 'memory', cpuOrMemory],
  ['KERNEL_GPUS', 'nvidia.com/gpu', /^\d{1,3}$/],
] as const;

function idFrom(env: Record<string, string>, name: 'KERNEL_UID' | 'KERNEL_GID', fallback: number, prohibited: number[]): number {
  const raw = env[name];
  if (raw === undefined) return fallback;
  if (!/^\d{1,10}$/.test(raw) || Number(raw) > 2 ** 31 - 1) throw validationError(`env.${name}`, `env.${name} must be a non-negative integer, got '${raw}'`);
  const id = Number(raw);
  if (prohibited.includes(id)) throw new DomainError('FORBIDDEN', `env.${name} ${id} is prohibited`, `env.${name}`);
  return id;
}

/**
 * Turns a kernel request into a plan, Enterprise Gateway's way: a namespace and a pod named from
 * KERNEL_USERNAME and the kernel id (unless KERNEL_NAMESPACE is given), uid/gid rules, resources
 * from KERNEL_CPUS/MEMORY/GPUS and their _LIMIT variants, and the KERNEL_* environment. Only
 * values checked here reach the pod: no host path, privilege or other account can be injected.
 */
export function planKernel(request: KernelRequest, policy: KernelPolicy): KernelPlan {
  const env = request.env;
  for (const [name, value] of Object.entries(env)) {
    if (!envName.test(name)) throw validationError(`env.${name}`, `env.${name} is not allowed: only KERNEL_* variables are passed to kernels`);
    if (value.length > maxEnvValue) throw validationError(`env.${name}`, `env.${name} is longer than ${maxEnvValue} characters`);
  }
  if (env.KERNEL_USERNAME !== undefined && env.KERNEL_USERNAME !== request.user) {
    throw validationError('env.KERNEL_USERNAME', 'env.KERNEL_USERNAME must equal user when given');
  }

  const given = env.KERNEL_NAMESPACE;
  if (given === undefined && env.KERNEL_SERVICE_ACCOUNT_NAME !== undefined) {
    throw validationError('env.KERNEL_SERVICE_ACCOUNT_NAME', 'env.KERNEL_SERVICE_ACCOUNT_NAME is only honoured with env.KERNEL_NAMESPACE');
  }
  if (given !== undefined) {
    if (!dnsLabel.test(given)) throw validationError('env.KERNEL_NAMESPACE', `env.KERNEL_NAMESPACE '${given}' is not a valid namespace name`);
    if (isProtectedNamespace(given, policy.orchestratorNamespace)) throw new DomainError('FORBIDDEN', `env.KERNEL_NAMESPACE '${given}' is a protected namespace`, 'env.KERNEL_NAMESPACE');
  }
  const account = env.KERNEL_SERVICE_ACCOUNT_NAME ?? 'default';
  if (!serviceAccountName.test(account)) throw validationError('env.KERNEL_SERVICE_ACCOUNT_NAME', `env.KERNEL_SERVICE_ACCOUNT_NAME '${account}' is not a valid name`);

  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  for (const [variable, resource, pattern] of resourceVariables) {
    for (const [suffix, target] of [['', requests], ['_LIMIT', limits]] as const) {
      const value = env[`${variable}${suffix}`];
      if (value === undefined) continue;
      if (!pattern.test(value)) throw validationError(`env.${variable}${suffix}`, `env.${variable}${suffix} '${value}' is not a valid ${resource} quantity`);
      target[resource] = value;
    }
  }

  // Kubernetes cannot overcommit GPUs: their limit is their request.
  const gpus = limits['nvidia.com/gpu'] ?? requests['nvidia.com/gpu'];
  if (gpus !== undefined) {
    if (requests['nvidia.com/gpu'] !== undefined && limits['nvidia.com/gpu'] !== undefined && requests['nvidia.com/gpu'] !== limits['nvidia.com/gpu']) {
      throw validationError('env.KERNEL_GPUS_LIMIT', 'env.KERNEL_GPUS_LIMIT must equal env.KERNEL_GPUS: GPUs cannot be overcommitted');
    }
    requests['nvidia.com/gpu'] = gpus;
    limits['nvidia.com/gpu'] = gpus;
  }

  const timeout = env.KERNEL_LAUNCH_TIMEOUT;
  if (timeout !== undefined && (!/^\d{1,4}$/.test(timeout) || Number(timeout) < 1 || Number(timeout) > 3600)) {
    throw validationError('env.KERNEL_LAUNCH_TIMEOUT', `env.KERNEL_LAUNCH_TIMEOUT must be 1 to 3600 seconds, got '${timeout}'`);
  }

  const name = toDnsLabel(`${request.user}-${request.kernelId}`);
  // A user and a kernel id may spell a system namespace ('kube' and 'system'): never created into.
  if (given === undefined && isProtectedNamespace(name, policy.orchestratorNamespace)) {
    throw new DomainError('FORBIDDEN', `kernelId '${request.kernelId}' of user '${request.user}' names the protected namespace '${name}'`, 'kernelId');
  }
  const namespace = given ?? name;
  const uid = idFrom(env, 'KERNEL_UID', defaultKernelUid, policy.prohibitedUids);
  const gid = idFrom(env, 'KERNEL_GID', defaultKernelGid, policy.prohibitedGids);
  const passed = {
    ...env,
    KERNEL_ID: request.kernelId,
    KERNEL_USERNAME: request.user,
    KERNEL_NAMESPACE: namespace,
    KERNEL_UID: String(uid),
    KERNEL_GID: String(gid),
  };
  return {
    kernelId: request.kernelId,
    user: request.user,
    workflowId: kernelWorkflowId(request.kernelId),
    namespace,
    createNamespace: given === undefined,
    serviceAccount: account,
    podName: name,
    uid,
    gid,
    resources: { requests, limits },
    launchTimeoutSeconds: timeout === undefined ? defaultLaunchTimeoutSeconds : Number(timeout),
    orchestratorNamespace: policy.orchestratorNamespace,
    connectionsBinding: toDnsLabel(`kernel-connections-${request.kernelId}`),
    env: Object.entries(passed).sort(([a], [b]) => a.localeCompare(b)).map(([envVar, value]) => ({ name: envVar, value })),
  };
}

/** Where a kernel's launcher sends its connection information, and the key it encrypts it to. */
export interface LaunchCallback {
  /** `<ip>:<port>` of the launching worker, reachable from the pod. */
  responseAddress: string;
  /** Base64 of the DER SubjectPublicKeyInfo of the launch's RSA key; public by nature. */
  publicKey: string;
}

/** A kernel's connection information lives in this Secret of its namespace, next to its pod. */
export const kernelConnectionSecretName = (plan: Pick<KernelPlan, 'podName'>): string => `${plan.podName}-connection`;

/**
 * What Enterprise Gateway's kernel images read at start: both the current names and the `EG_`
 * ones that older images read. A Spark kernel makes its context lazily, as EG's default.
 */
function launcherEnv(spec: KernelSpec, callback: LaunchCallback): Array<{ name: string; value: string }> {
  const variables: Record<string, string> = {
    KERNEL_LANGUAGE: spec.language.toLowerCase(),
    KERNEL_NAME: spec.name,
    KERNEL_SPARK_CONTEXT_INIT_MODE: spec.flavor === 'spark' ? 'lazy' : 'none',
    RESPONSE_ADDRESS: callback.responseAddress,
    EG_RESPONSE_ADDRESS: callback.responseAddress,
    PUBLIC_KEY: callback.publicKey,
    EG_PUBLIC_KEY: callback.publicKey,
    PORT_RANGE: '0..0',
    EG_PORT_RANGE: '0..0',
  };
  return Object.entries(variables).map(([name, value]) => ({ name, value }));
}

/**
 * The pod of a kernel: a plain object the Kubernetes client accepts as a V1Pod. A kernel that
 * connects back needs the launch's callback; a `pod-only` one takes none.
 */
export function renderKernelPod(plan: KernelPlan, spec: KernelSpec, marks: Marks, callback?: LaunchCallback) {
  if (connectsBack(spec) !== (callback !== undefined)) throw new Error(`kernel ${spec.name}: a launch callback is needed exactly when the kernel connects back`);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: plan.podName,
      namespace: plan.namespace,
      labels: { ...marks.labels, component: 'kernel', kernel_id: plan.kernelId },
      annotations: marks.annotations,
    },
    spec: {
      restartPolicy: 'Never',
      serviceAccountName: plan.serviceAccount,
      // Only a Spark kernel talks to the API server (it starts executors).
      automountServiceAccountToken: spec.flavor === 'spark',
      securityContext: { runAsUser: plan.uid, runAsGroup: plan.gid, fsGroup: plan.gid, runAsNonRoot: plan.uid !== 0 },
      containers: [{
        name: kernelContainerName,
        image: spec.image,
        env: callback ? [...plan.env, ...launcherEnv(spec, callback)] : plan.env,
        resources: plan.resources,
        securityContext: { privileged: false, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      }],
    },
  };
}
