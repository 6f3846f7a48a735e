import { describe, expect, test } from '@jest/globals';
import { KernelGateway } from '../../src/client/kernel-gateway.js';
import type { Client } from '@temporalio/client';
import { defaultKernelSpecs, KernelCatalog } from '../../src/domain/kernel-specs.js';
import { emptyClusterPresets } from '../../src/domain/cluster-presets.js';
import { domainFailure } from '../support/domain-errors.js';

const catalog = new KernelCatalog({
  defaultKernel: 'simulated',
  kernels: [
    { ...defaultKernelSpecs.kernels[0]!, name: 'simulated', launch: 'pod-only' },
    ...defaultKernelSpecs.kernels,
  ],
});
const context = {
  catalog, maxPerUser: 0, historyEventLimit: 2_000, cullConnected: false,
  policy: { prohibitedUids: [0], prohibitedGids: [0], orchestratorNamespace: 'compute-orchestrator' },
};
/** Whatever reaches Temporal fails the test: these requests must be refused before. */
const untouchable = new Proxy({}, { get: (_target, name) => { throw new Error(`Temporal's ${String(name)} was used`); } }) as Client;
const gateway = new KernelGateway({ temporal: untouchable, taskQueue: 'unused', kernels: context, knownClusters: { presets: emptyClusterPresets } }, () => Promise.reject(new Error('no endpoint read expected')));
const start = (actor: { name: string; user?: string }, body: { name?: string; env?: Record<string, string> }) =>
  gateway.start(actor, body).then(() => undefined, (error: unknown) => error);

describe("KernelGateway: Jupyter's gateway API on the kernel sessions", () => {
  test('kernel specs are those clients can reach, in Jupyter\'s shape; the default falls back to a reachable one', () => {
    const specs = gateway.specs();
    expect(Object.keys(specs.kernelspecs)).toEqual(['python3', 'ir', 'scala', 'spark_python']);
    expect(specs.default).toBe('python3');
    expect(specs.kernelspecs.python3).toEqual({
      name: 'python3', resources: {},
      spec: { argv: [], display_name: 'Python 3', language: 'python', interrupt_mode: 'signal', env: {}, metadata: { image: 'elyra/kernel-py:3.2.3', flavor: 'vanilla' } },
    });
    expect(domainFailure(() => gateway.spec('simulated'))).toMatchObject({ code: 'NOT_FOUND' });
  });

  test('a start names its user: KERNEL_USERNAME, or the one its token is bound to', async () => {
    expect(await start({ name: 'plugin' }, { name: 'python3', env: { KERNEL_CPUS: '1' } })).toMatchObject({ code: 'VALIDATION', field: 'env.KERNEL_USERNAME' });
  });

  test("a token bound to a user starts no kernel for another", async () => {
    expect(await start({ name: 'alice-jupyter', user: 'alice' }, { name: 'python3', env: { KERNEL_USERNAME: 'bob' } }))
      .toMatchObject({ code: 'FORBIDDEN', message: "token 'alice-jupyter' acts for user 'alice', not for 'bob'" });
  });

  test('an unknown or unreachable kernel is 404, as Jupyter expects; KERNEL_* rules apply, other variables are ignored', async () => {
    expect(await start({ name: 'plugin' }, { name: 'cobol', env: { KERNEL_USERNAME: 'alice' } })).toMatchObject({ code: 'NOT_FOUND' });
    expect(await start({ name: 'plugin' }, { name: 'simulated', env: { KERNEL_USERNAME: 'alice' } })).toMatchObject({ code: 'NOT_FOUND' });
    expect(await start({ name: 'plugin' }, { name: 'python3', env: { KERNEL_USERNAME: 'alice', KERNEL_UID: '0', PATH: '/x' } }))
      .toMatchObject({ code: 'FORBIDDEN', field: 'env.KERNEL_UID' });
  });
});
