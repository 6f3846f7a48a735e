import { describe, expect, test } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SparkJobsClient } from '../../src/client/spark-jobs.js';
import { podServiceAccountDir } from '../../src/domain/cluster.js';
import { watchTaskQueue } from '../../src/domain/task-queues.js';
import { applyManifests } from '../../src/local/control-plane/orchestrator-identity.js';
import { repoRoot } from '../../src/local/paths.js';
import { freePort } from '../../src/local/ports.js';
import { manifestsIn, rbacManifestsDir } from '../../src/rbac-manifests.js';
import { adminKubeConfig, eventually, uniqueName } from './stack/kube.js';
import { sparkPiInput } from './stack/spark-pi.js';
import { readStackInfo } from './stack/stack-info.js';
import { workerProcessSuite } from './stack/worker-process.js';

const deployDir = join(repoRoot, 'deploy');
/** deploy/rbac first, as an administrator applies it (it creates the namespace), then the other directories. */
const manifestDirs = [rbacManifestsDir, ...readdirSync(deployDir, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => join(entry.parentPath, entry.name, '/'))
  .filter((dir) => dir !== rbacManifestsDir)
  .sort()];

describe('deploy/', () => {
  test('every object of every YAML file passes a server-side dry run as the administrator', async () => {
    const yamlFiles = readdirSync(deployDir, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.yaml'));
    for (const file of yamlFiles) expect(manifestDirs).toContain(join(deployDir, dirname(file), '/'));
    const objects = manifestDirs.flatMap((dir) => manifestsIn(dir));
    const admitted = await applyManifests(adminKubeConfig(), objects, 'All');
    expect(admitted.map((object) => `${object.kind}/${object.metadata?.name}`)).toEqual(objects.map((object) => `${object.kind}/${object.metadata?.name}`));
    expect(objects.map((object) => object.kind)).toEqual(expect.arrayContaining(['ConfigMap', 'Secret', 'Deployment', 'Service', 'PodDisruptionBudget']));
  });
});

describe('a worker in a pod (KUBERNETES_IN_CLUSTER=1)', () => {
  const suite = workerProcessSuite('in-cluster');

  /** What kubelet mounts in the worker's pod: a token of the orchestrator's account, the cluster's CA, the namespace. */
  async function serviceAccountDir(): Promise<string> {
    const admin = adminKubeConfig();
    const token = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
      name: 'compute-orchestrator', namespace: 'compute-orchestrator', body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const dir = join(tmpdir(), uniqueName('pod-root'), podServiceAccountDir);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'token'), token.status!.token);
    writeFileSync(join(dir, 'ca.crt'), Buffer.from(admin.getCurrentCluster()!.caData!, 'base64'));
    writeFileSync(join(dir, 'namespace'), 'compute-orchestrator');
    return dir;
  }

  test('answers /healthz while its workers run, and runs a Spark job end to end with the service account', async () => {
    const taskQueue = uniqueName('in-cluster');
    const apiserver = new URL(readStackInfo().apiserverUrl);
    const health = `127.0.0.1:${await freePort()}`;
    suite.workers.start(taskQueue, 'worker', {
      KUBECONFIG_LOCAL: '', KUBERNETES_IN_CLUSTER: '1', KUBERNETES_SERVICE_ACCOUNT_DIR: await serviceAccountDir(),
      KUBERNETES_SERVICE_HOST: apiserver.hostname, KUBERNETES_SERVICE_PORT: apiserver.port, WORKER_HEALTH_ADDRESS: health,
    });

    const healthy = await eventually(async () => {
      const response = await fetch(`http://${health}/healthz`);
      return { status: response.status, body: await response.json() as { ok: boolean; workers: { taskQueue: string; state: string }[] } };
    }, (answer) => answer.status === 200, 60_000);
    expect(healthy.body).toEqual({ ok: true, workers: [{ taskQueue, state: 'RUNNING' }, { taskQueue: watchTaskQueue(taskQueue), state: 'RUNNING' }] });

    const jobs = new SparkJobsClient(suite.temporal.client, taskQueue);
    const input = sparkPiInput(uniqueName('pod'), 1);
    const { workflowId } = await jobs.start(input);
    await suite.temporal.client.workflow.getHandle(workflowId).result();
    expect(await jobs.status(input.jobId)).toMatchObject({ phase: 'SUCCEEDED', exitCode: 0, cleanedUp: true });
  }, 120_000);
});
