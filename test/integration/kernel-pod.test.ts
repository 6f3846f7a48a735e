import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { planKernel, renderKernelPod } from '../../src/domain/kernel-pod.js';
import { defaultKernelSpecs, KernelCatalog } from '../../src/domain/kernel-specs.js';
import { ownershipMarks } from '../../src/domain/labels.js';
import { adminKubeConfig, eventually, uniqueName } from './stack/kube.js';

const admin = adminKubeConfig();
const catalog = new KernelCatalog(defaultKernelSpecs);

describe('kernel pods as the real API server sees them', () => {
  const core = admin.makeApiClient(CoreV1Api);
  const team = uniqueName('team');
  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: team } } });
    await eventually(() => core.readNamespacedServiceAccount({ name: 'default', namespace: team }), () => true);
  });
  afterAll(() => core.deleteNamespace({ name: team }));

  test.each(defaultKernelSpecs.kernels.map((spec) => spec.name))('the rendered %s pod passes server-side validation and admission (dry run)', async (name) => {
    const plan = planKernel({
      kernelId: `dry-run-${name.replace(/_/g, '-')}`, user: 'Zoë',
      env: { KERNEL_NAMESPACE: team, KERNEL_CPUS: '250m', KERNEL_MEMORY: '512Mi', KERNEL_MEMORY_LIMIT: '1Gi', KERNEL_GPUS: '1' },
    }, { prohibitedUids: [0], prohibitedGids: [0], orchestratorNamespace: 'compute-orchestrator' });
    const pod = renderKernelPod(plan, catalog.resolve(name), ownershipMarks('kernel', plan.workflowId), { responseAddress: '10.200.0.1:40123', publicKey: 'cHVibGlj' });
    const accepted = await core.createNamespacedPod({ namespace: plan.namespace, body: pod, dryRun: 'All' });
    expect(accepted.metadata?.name).toBe(plan.podName);
    expect(accepted.spec?.containers[0]?.resources?.limits).toEqual({ memory: '1Gi', 'nvidia.com/gpu': '1' });
    expect(accepted.spec?.securityContext?.runAsUser).toBe(1000);
    expect(accepted.spec?.containers[0]?.env).toEqual(expect.arrayContaining([{ name: 'RESPONSE_ADDRESS', value: '10.200.0.1:40123' }]));
  });
});
