import type { CoreV1Api } from '@kubernetes/client-node';
import { kernelConnectionSecretName, type KernelPlan } from '../../domain/kernel-pod.js';
import { ownershipMarks } from '../../domain/labels.js';
import { parseConnectionInfo, type KernelConnectionInfo } from '../../jupyter/connection-info.js';
import { asFailure, isConflict, isNotFound } from './api-errors.js';

const dataKey = 'connection.json';

type SecretPlan = Pick<KernelPlan, 'namespace' | 'podName' | 'workflowId'>;

/**
 * Keeps a kernel's connection information (its key gives code execution in the kernel) in a
 * Secret beside its pod, owned by that pod: it outlives a worker or API restart, and goes with
 * the pod, whether deleted by us, by a restart or with the namespace. The kernel's own account
 * has no right on Secrets; only the orchestrator reads it. A launch after a restart replaces it.
 */
export async function saveKernelConnection(api: CoreV1Api, plan: SecretPlan, podUid: string, info: KernelConnectionInfo): Promise<void> {
  const name = kernelConnectionSecretName(plan);
  const marks = ownershipMarks('kernel', plan.workflowId);
  const body = {
    metadata: {
      name, namespace: plan.namespace, labels: marks.labels, annotations: marks.annotations,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: plan.podName, uid: podUid }],
    },
    type: 'Opaque',
    data: { [dataKey]: Buffer.from(JSON.stringify(info)).toString('base64') },
  };
  try {
    await api.createNamespacedSecret({ namespace: plan.namespace, body });
    return;
  } catch (error) {
    if (!isConflict(error)) throw asFailure(error, `create secret ${plan.namespace}/${name}`);
  }
  try {
    await api.replaceNamespacedSecret({ name, namespace: plan.namespace, body });
  } catch (error) {
    throw asFailure(error, `replace secret ${plan.namespace}/${name}`);
  }
}

/** The kernel's connection information, or undefined while it has none (launching, or gone). */
export async function readKernelConnection(api: CoreV1Api, plan: Pick<KernelPlan, 'namespace' | 'podName'>): Promise<KernelConnectionInfo | undefined> {
  const name = kernelConnectionSecretName(plan);
  let encoded: string | undefined;
  try {
    encoded = (await api.readNamespacedSecret({ name, namespace: plan.namespace })).data?.[dataKey];
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw asFailure(error, `read secret ${plan.namespace}/${name}`);
  }
  return encoded === undefined ? undefined : parseConnectionInfo(JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')));
}
