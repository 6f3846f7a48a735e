import { describe, expect, test } from '@jest/globals';
import { planKernel, renderKernelPod, type KernelPolicy } from '../../src/domain/kernel-pod.js';
import { defaultKernelSpecs, KernelCatalog } from '../../src/domain/kernel-specs.js';
import { ownershipMarks } from '../../src/domain/labels.js';
import { domainFailure } from '../support/domain-errors.js';

const policy: KernelPolicy = { prohibitedUids: [0], prohibitedGids: [0], orchestratorNamespace: 'compute-orchestrator' };
const catalog = new KernelCatalog(defaultKernelSpecs);
const dnsLabel = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const callback = { responseAddress: '10.200.0.1:40123', publicKey: 'TUlJQklqQU5CZ2txaGtpRzl3MEJBUUVGQUFPQ0FROEFNSUlCQ2dLQ0FRRUE=' };
const envOf = (pod: { spec: { containers: Array<{ env: Array<{ name: string; value: string }> }> } }) =>
  Object.fromEntries(pod.spec.containers[0]!.env.map((entry) => [entry.name, entry.value]));

describe('KernelCatalog', () => {
  test('resolves a named kernel and the default one', () => {
    expect(catalog.resolve('ir').language).toBe('R');
    expect(catalog.resolve(undefined).name).toBe('python3');
  });

  test('an unknown kernel is a 400 naming kernelName and the allowed ones', () => {
    const error = domainFailure(() => catalog.resolve('cobol'));
    expect(error).toMatchObject({ code: 'VALIDATION', field: 'kernelName' });
    expect(error.message).toBe("unknown kernel 'cobol': allowed are python3, ir, scala, spark_python");
  });

  test('a configuration is checked: shape, duplicate names, a default that exists', () => {
    expect(() => KernelCatalog.parse({ defaultKernel: 'x', kernels: [] }, 'f.json')).toThrow(/invalid at '\/kernels'/);
    const spec = defaultKernelSpecs.kernels[0]!;
    expect(() => KernelCatalog.parse({ defaultKernel: spec.name, kernels: [spec, spec] }, 'f.json')).toThrow('two kernels share a name');
    expect(() => KernelCatalog.parse({ defaultKernel: 'nope', kernels: [spec] }, 'f.json')).toThrow("the default kernel 'nope' is not among the kernels");
  });
});

describe('planKernel and renderKernelPod', () => {
  const plan = (env: Record<string, string> = {}, user = 'alice', kernelId = '3c8a1c5e-0f7e-4c1b-9a53-2f7c0d7c9e11') => planKernel({ kernelId, user, env }, policy);

  test('defaults: a namespace and pod named from the user and kernel id, uid 1000, gid 100, default account', () => {
    const result = plan();
    expect(result).toMatchObject({
      workflowId: 'kernel-3c8a1c5e-0f7e-4c1b-9a53-2f7c0d7c9e11',
      namespace: 'alice-3c8a1c5e-0f7e-4c1b-9a53-2f7c0d7c9e11',
      podName: 'alice-3c8a1c5e-0f7e-4c1b-9a53-2f7c0d7c9e11',
      createNamespace: true, serviceAccount: 'default', uid: 1000, gid: 100, launchTimeoutSeconds: 60,
    });
  });

  test('the pod: labels of DESIGN.md and Enterprise Gateway, Never restarted, uid/gid, no privilege, KERNEL_* env', () => {
    const kernel = plan({ KERNEL_CPUS: '500m', KERNEL_MEMORY: '2Gi', KERNEL_GPUS: '1', KERNEL_MEMORY_LIMIT: '4Gi', KERNEL_EXTRA: 'x' });
    const pod = renderKernelPod(kernel, catalog.resolve('python3'), ownershipMarks('kernel', kernel.workflowId), callback);
    expect(pod.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'compute-orchestrator', 'compute-orchestrator/kind': 'kernel', component: 'kernel', kernel_id: kernel.kernelId,
    });
    expect(pod.metadata.annotations).toEqual({ 'compute-orchestrator/workflow-id': kernel.workflowId });
    expect(pod.spec.restartPolicy).toBe('Never');
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    expect(pod.spec.securityContext).toEqual({ runAsUser: 1000, runAsGroup: 100, fsGroup: 100, runAsNonRoot: true });
    const container = pod.spec.containers[0]!;
    expect(container.image).toBe('elyra/kernel-py:3.2.3');
    expect(container.securityContext).toEqual({ privileged: false, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(container.resources).toEqual({ requests: { cpu: '500m', memory: '2Gi', 'nvidia.com/gpu': '1' }, limits: { memory: '4Gi', 'nvidia.com/gpu': '1' } });
    expect(envOf(pod)).toMatchObject({
      KERNEL_ID: kernel.kernelId, KERNEL_USERNAME: 'alice', KERNEL_NAMESPACE: kernel.namespace, KERNEL_UID: '1000', KERNEL_GID: '100', KERNEL_EXTRA: 'x',
    });
    expect(JSON.stringify(pod)).not.toMatch(/hostPath|"privileged":true/);
  });

  test('a Spark kernel gets its account token mounted (it starts executors)', () => {
    const kernel = plan();
    expect(renderKernelPod(kernel, catalog.resolve('spark_python'), ownershipMarks('kernel', kernel.workflowId), callback).spec.automountServiceAccountToken).toBe(true);
  });

  test("the launch callback: what Enterprise Gateway's images read, under both names, and no key of the kernel's", () => {
    const kernel = plan();
    const env = envOf(renderKernelPod(kernel, catalog.resolve('spark_python'), ownershipMarks('kernel', kernel.workflowId), callback));
    expect(env).toMatchObject({
      RESPONSE_ADDRESS: callback.responseAddress, EG_RESPONSE_ADDRESS: callback.responseAddress, PUBLIC_KEY: callback.publicKey, EG_PUBLIC_KEY: callback.publicKey,
      PORT_RANGE: '0..0', KERNEL_LANGUAGE: 'python', KERNEL_NAME: 'spark_python', KERNEL_SPARK_CONTEXT_INIT_MODE: 'lazy', KERNEL_ID: kernel.kernelId,
    });
    expect(envOf(renderKernelPod(kernel, catalog.resolve('python3'), ownershipMarks('kernel', kernel.workflowId), callback)).KERNEL_SPARK_CONTEXT_INIT_MODE).toBe('none');
  });

  test('a pod-only kernel takes no callback, one that connects back needs it', () => {
    const kernel = plan();
    const podOnly = { ...catalog.resolve('python3'), launch: 'pod-only' as const };
    expect(envOf(renderKernelPod(kernel, podOnly, ownershipMarks('kernel', kernel.workflowId))).RESPONSE_ADDRESS).toBeUndefined();
    expect(() => renderKernelPod(kernel, podOnly, ownershipMarks('kernel', kernel.workflowId), callback)).toThrow('exactly when the kernel connects back');
    expect(() => renderKernelPod(kernel, catalog.resolve('python3'), ownershipMarks('kernel', kernel.workflowId))).toThrow('exactly when the kernel connects back');
  });

  test('KERNEL_NAMESPACE and KERNEL_SERVICE_ACCOUNT_NAME are used as given: nothing to create', () => {
    expect(plan({ KERNEL_NAMESPACE: 'team-data', KERNEL_SERVICE_ACCOUNT_NAME: 'notebooks' })).toMatchObject({ namespace: 'team-data', createNamespace: false, serviceAccount: 'notebooks' });
    expect(plan({ KERNEL_NAMESPACE: 'team-data' }).serviceAccount).toBe('default');
  });

  test.each([
    [{ KERNEL_UID: '0' }, 'FORBIDDEN', 'env.KERNEL_UID'],
    [{ KERNEL_GID: '0' }, 'FORBIDDEN', 'env.KERNEL_GID'],
    [{ KERNEL_NAMESPACE: 'kube-system' }, 'FORBIDDEN', 'env.KERNEL_NAMESPACE'],
    [{ KERNEL_NAMESPACE: 'compute-orchestrator' }, 'FORBIDDEN', 'env.KERNEL_NAMESPACE'],
    [{ KERNEL_UID: '1000; rm -rf /' }, 'VALIDATION', 'env.KERNEL_UID'],
    [{ KERNEL_UID: '-1' }, 'VALIDATION', 'env.KERNEL_UID'],
    [{ KERNEL_CPUS: 'lots' }, 'VALIDATION', 'env.KERNEL_CPUS'],
    [{ KERNEL_MEMORY_LIMIT: '2 GB' }, 'VALIDATION', 'env.KERNEL_MEMORY_LIMIT'],
    [{ KERNEL_GPUS: '0.5' }, 'VALIDATION', 'env.KERNEL_GPUS'],
    [{ KERNEL_GPUS: '1', KERNEL_GPUS_LIMIT: '2' }, 'VALIDATION', 'env.KERNEL_GPUS_LIMIT'],
    [{ KERNEL_LAUNCH_TIMEOUT: '0' }, 'VALIDATION', 'env.KERNEL_LAUNCH_TIMEOUT'],
    [{ KERNEL_NAMESPACE: 'Team_Data' }, 'VALIDATION', 'env.KERNEL_NAMESPACE'],
    [{ KERNEL_SERVICE_ACCOUNT_NAME: 'admin' }, 'VALIDATION', 'env.KERNEL_SERVICE_ACCOUNT_NAME'],
    [{ KERNEL_USERNAME: 'bob' }, 'VALIDATION', 'env.KERNEL_USERNAME'],
    [{ PATH: '/tmp' }, 'VALIDATION', 'env.PATH'],
    [{ KERNEL_X: 'y'.repeat(5000) }, 'VALIDATION', 'env.KERNEL_X'],
  ])('%j is refused (%s, naming %s)', (env, code, field) => {
    expect(domainFailure(() => plan(env))).toMatchObject({ code, field });
  });

  test('the prohibited ids are configurable', () => {
    expect(planKernel({ kernelId: 'k1', user: 'root-ok', env: { KERNEL_UID: '0' } }, { ...policy, prohibitedUids: [] }).uid).toBe(0);
    expect(domainFailure(() => planKernel({ kernelId: 'k1', user: 'u', env: { KERNEL_UID: '1234' } }, { ...policy, prohibitedUids: [0, 1234] })).code).toBe('FORBIDDEN');
  });

  test('60-character and unicode user names give valid names; users that escape alike stay apart', () => {
    for (const user of ['u'.repeat(60), 'Zoë Ångström', 'ユーザー']) {
      const kernel = plan({}, user);
      expect(kernel.namespace).toMatch(dnsLabel);
      expect(kernel.namespace.length).toBeLessThanOrEqual(63);
    }
    expect(plan({}, 'john.doe', 'k1').namespace).not.toBe(plan({}, 'john_doe', 'k1').namespace);
  });

  test('a value that looks like a spec stays a plain environment value', () => {
    const kernel = plan({ KERNEL_EXTRA: '{"securityContext":{"privileged":true},"hostPath":"/"}' });
    const pod = renderKernelPod(kernel, catalog.resolve(undefined), ownershipMarks('kernel', kernel.workflowId), callback);
    expect(pod.spec.containers[0]!.securityContext.privileged).toBe(false);
    expect(Object.keys(pod.spec)).toEqual(['restartPolicy', 'serviceAccountName', 'automountServiceAccountToken', 'securityContext', 'containers']);
  });
});
