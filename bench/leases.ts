/**
 * Client-mode leases: from `POST /v1/spark-jobs` (deployMode client) to a kubeconfig of the job's
 * temporary account that the API server accepts (its first `list pods` in the job's namespace
 * answers), one lease at a time, against the same steps made directly by an admin (namespace,
 * service account, role binding, TokenRequest, the same `list pods`). Each lease is then ended.
 * Usage: npm run bench:leases -- [leases=30]
 */
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApi } from '../src/api/app.js';
import { hashToken, TokenRegistry } from '../src/api/auth.js';
import { apiDeps } from '../src/api/deps.js';
import { connectTemporal } from '../src/client/temporal.js';
import { loadRuntimeConfig } from '../src/config.js';
import { sparkDriverClusterRole } from '../src/domain/spark-job.js';
import { ensureLocalCodecKeys } from '../src/local/codec-keys.js';
import { freePorts, startLocalStack } from '../src/local/stack.js';
import { localSparkSubmitEnv } from '../src/local/paths.js';
import { startWorker } from '../src/worker.js';
import { percentile } from './percentile.js';

const leases = Number(process.argv[2] ?? 30);
const stateDir = join(tmpdir(), `bench-leases-${process.pid}`);
const token = 'bench-leases-token';

const summary = (values: number[]): string => `p50 ${percentile(values, 50).toFixed(0)} ms, p99 ${percentile(values, 99).toFixed(0)} ms`;

/** The first call a driver makes with a kubeconfig: listing pods of its namespace. */
async function firstCall(kubeconfig: unknown, namespace: string): Promise<void> {
  const config = new KubeConfig();
  config.loadFromString(JSON.stringify(kubeconfig));
  await config.makeApiClient(CoreV1Api).listNamespacedPod({ namespace });
}

const stack = await startLocalStack({ stateDir, ports: await freePorts(), report: () => undefined });
try {
  const config = loadRuntimeConfig({
    ...localSparkSubmitEnv(),
    TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_TASK_QUEUE: 'bench-leases', KUBECONFIG_LOCAL: stack.workerKubeconfig,
    CODEC_KEYS_FILE: ensureLocalCodecKeys(join(stateDir, 'codec-keys.json')), SPARK_MAX_IN_FLIGHT_PER_USER: '0',
  });
  const worker = await startWorker(config, pino({ level: 'warn' }));
  const temporal = await connectTemporal(config);
  const tokens = new TokenRegistry({ tokens: [{ name: 'bench', sha256: hashToken(token), scopes: ['*'] }] });
  const api = await buildApi(apiDeps(config, temporal, tokens, pino({ level: 'warn' })));
  const url = await api.listen({ host: '127.0.0.1', port: 0 });
  const call = async <T>(path: string, body: unknown = {}): Promise<T> => {
    const response = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return await response.json() as T;
  };
  const admin = new KubeConfig();
  admin.loadFromFile(stack.kubeconfig);
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const server = admin.getCurrentCluster()!;

  const throughApi: number[] = [];
  for (let index = 0; index < leases; index++) {
    const user = `lease${index}`;
    const started = performance.now();
    const { jobId } = await call<{ jobId: string }>('/v1/spark-jobs', { user, deployMode: 'client', leaseSeconds: 60 });
    const issued = await call<{ kubeconfig: unknown; namespace: string }>(`/v1/spark-jobs/${jobId}/kubeconfig`);
    await firstCall(issued.kubeconfig, issued.namespace);
    throughApi.push(performance.now() - started);
    await call(`/v1/spark-jobs/${jobId}/end`);
  }

  const direct: number[] = [];
  for (let index = 0; index < leases; index++) {
    const namespace = `direct-${index}`;
    const name = `spark-direct-${index}`;
    const started = performance.now();
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
    await rbac.createNamespacedRoleBinding({ namespace, body: {
      metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: sparkDriverClusterRole },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    } });
    const { status } = await core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { audiences: [], expirationSeconds: 600 } } });
    await firstCall({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'direct',
      clusters: [{ name: 'direct', cluster: { server: server.server, 'certificate-authority-data': server.caData } }],
      users: [{ name: 'direct', user: { token: status!.token } }],
      contexts: [{ name: 'direct', context: { cluster: 'direct', user: 'direct', namespace } }],
    }, namespace);
    direct.push(performance.now() - started);
    await core.deleteNamespace({ name: namespace });
  }

  console.log(`${leases} leases, one at a time\n`);
  console.log('| path | request → first accepted call |\n|---|---|');
  console.log(`| through the API (workflow, sealed token) | ${summary(throughApi)} |`);
  console.log(`| the same steps made directly by an admin | ${summary(direct)} |`);
  await api.close();
  await temporal.close();
  await worker.stop();
} finally {
  await stack.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
