import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoreV1Api, RbacAuthorizationV1Api, type V1ConfigMap, type V1Pod, type V1Service } from '@kubernetes/client-node';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ensureClusterRoles } from '../../src/activities/cluster-roles.js';
import { SparkSubmitter, sparkSubmitProcess, type SparkSubmission } from '../../src/activities/spark-submitter.js';
import { ownershipMarks } from '../../src/domain/labels.js';
import { sparkDriverClusterRole, sparkJobNames, type SparkJobInput } from '../../src/domain/spark-job.js';
import { sparkSubmitArguments } from '../../src/domain/spark-submit.js';
import { localSparkSubmitEnv } from '../../src/local/paths.js';
import { adminKubeConfig, eventually, uniqueName } from './stack/kube.js';
import { sparkPiApp } from './stack/spark-pi.js';
import { readStackInfo } from './stack/stack-info.js';

/**
 * The Spark submitter (one JVM, Spark's submission code in-process) against spark-submit, on the
 * test stack's API server: the same driver pod, config map and service for the same job, apart
 * from what Spark generates (application id, names, times). Drivers are simulated on the kwok node.
 */
describe('the Spark submitter makes what spark-submit makes', () => {
  const admin = adminKubeConfig();
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const namespace = uniqueName('submitter');
  const serviceAccount = 'submitter-test';
  const dir = mkdtempSync(join(tmpdir(), 'submitter-test-'));
  const target = { apiServer: readStackInfo().apiserverUrl, caCertFile: join(dir, 'ca.crt'), tokenFile: join(dir, 'token') };
  const submitter = { current: undefined as SparkSubmitter | undefined };
  const spawned = sparkSubmitProcess(localSparkSubmitEnv().SPARK_SUBMIT);

  const input = (jobId: string): SparkJobInput => ({
    jobId, user: 'submitter', cluster: 'local', namespace, autoCreateNamespace: false,
    app: { ...sparkPiApp(600), args: ['7'], driver: { memory: '512m' }, executor: { instances: 2, memory: '512m' } },
  });
  const submit = async (via: SparkSubmission, jobId: string) => {
    const names = sparkJobNames(jobId);
    const args = sparkSubmitArguments(input(jobId), { ...names, serviceAccount }, target, ownershipMarks('spark-job', names.workflowId));
    const result = await via.submit(args, { signal: new AbortController().signal, onTick: () => undefined });
    expect(result).toEqual({ ok: true, output: expect.any(String) });
    return names.driverPod;
  };
  /** The driver pod and what Spark made for it (owned by it), as the API server holds them. */
  const madeFor = async (driverPod: string) => {
    const pod = await core.readNamespacedPod({ name: driverPod, namespace });
    const owned = (object: V1ConfigMap | V1Service) => object.metadata?.ownerReferences?.some((owner) => owner.uid === pod.metadata?.uid) === true;
    const configMaps = (await core.listNamespacedConfigMap({ namespace })).items.filter(owned);
    const services = (await core.listNamespacedService({ namespace })).items.filter(owned);
    return { pod, configMaps, services };
  };
  /** Everything but what is generated per submission or set by the API server. */
  const normalized = (made: { pod: V1Pod; configMaps: V1ConfigMap[]; services: V1Service[] }, jobId: string): unknown => {
    const server = ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'generation'];
    const strip = <T extends { metadata?: object }>(object: T) => ({
      ...Object.fromEntries(Object.entries(object).filter(([key]) => key !== 'status')),
      metadata: Object.fromEntries(Object.entries(object.metadata ?? {}).filter(([key]) => !server.includes(key))),
    });
    const podSpec = Object.fromEntries(Object.entries(made.pod.spec!).filter(([key]) => key !== 'nodeName'));
    const text = JSON.stringify({ pod: strip({ ...made.pod, spec: podSpec }), configMaps: made.configMaps.map(strip), services: made.services.map(strip) });
    return JSON.parse(text
      .replaceAll(jobId, 'JOB')
      .replace(/spark-[0-9a-f]{32}/g, 'APP_ID')
      .replace(/spark-drv-[0-9a-f]+-conf-map/g, 'CONFIG_MAP')
      .replace(/JOB-[0-9a-f]{16}/g, 'RESOURCE_PREFIX')
      .replace(/"uid":"[0-9a-f-]{36}"/g, '"uid":"OWNER"')
      .replace(/spark\.app\.submitTime=\d+/g, 'spark.app.submitTime=TIME')
      .replace(/\/var\/data\/spark-[0-9a-f-]{36}/g, 'LOCAL_DIR')
      .replace(/kube-api-access-[a-z0-9]{5}/g, 'API_ACCESS_VOLUME')
      // java.util.Properties writes the time it was stored as a comment.
      .replace(/#\w{3} \w{3} \d\d \d\d:\d\d:\d\d \w+ \d{4}/g, '#STORED')) as unknown;
  };

  beforeAll(async () => {
    await ensureClusterRoles('local', rbac, () => undefined);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: serviceAccount } } });
    await rbac.createNamespacedRoleBinding({ namespace, body: {
      metadata: { name: serviceAccount },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: sparkDriverClusterRole },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace }],
    } });
    const token = await core.createNamespacedServiceAccountToken({ name: serviceAccount, namespace, body: { spec: { audiences: [], expirationSeconds: 600 } } });
    writeFileSync(target.tokenFile, token.status!.token, { mode: 0o600 });
    writeFileSync(target.caCertFile, Buffer.from(admin.getCurrentCluster()!.caData!, 'base64'), { mode: 0o600 });
    submitter.current = await SparkSubmitter.start(localSparkSubmitEnv().SPARK_SUBMITTER, pino({ level: 'silent' }));
  }, 120_000);

  afterAll(async () => {
    await submitter.current?.close();
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  test('the driver pod, its config map and its service equal spark-submit\'s, field by field', async () => {
    const byProcess = uniqueName('job');
    const bySubmitter = uniqueName('job');
    const processMade = await madeFor(await submit(spawned, byProcess));
    const submitterMade = await madeFor(await submit(submitter.current!, bySubmitter));
    expect(processMade.configMaps).toHaveLength(1);
    expect(processMade.services).toHaveLength(1);
    expect(normalized(submitterMade, bySubmitter)).toEqual(normalized(processMade, byProcess));
  }, 120_000);

  test('jobs submitted side by side in one namespace each get a config map of their own, owned by their own driver', async () => {
    const jobs = [uniqueName('job'), uniqueName('job'), uniqueName('job')];
    const drivers = await Promise.all(jobs.map((job) => submit(submitter.current!, job)));
    const made = await Promise.all(drivers.map(madeFor));
    const configMaps = made.map(({ configMaps: [configMap] }) => configMap?.metadata?.name);
    expect(new Set(configMaps).size).toBe(jobs.length);
    for (const [index, { pod, configMaps: owned }] of made.entries()) {
      expect(owned).toHaveLength(1);
      const volume = pod.spec!.volumes!.find((candidate) => candidate.configMap !== undefined);
      expect(volume?.configMap?.name).toBe(configMaps[index]);
      expect(owned[0]!.data?.['spark.properties']).toContain(`spark.kubernetes.driver.pod.name=${drivers[index]!}`);
    }
  }, 120_000);

  test('a request without the worker\'s key is refused, and creates nothing', async () => {
    const jobId = uniqueName('job');
    const names = sparkJobNames(jobId);
    const args = sparkSubmitArguments(input(jobId), { ...names, serviceAccount }, target, ownershipMarks('spark-job', names.workflowId));
    for (const authorization of [undefined, 'Bearer not-the-key']) {
      const answer = await fetch(`http://${await submitter.current!.listening()}/submissions`, {
        method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: JSON.stringify({ args }),
      });
      expect(answer.status).toBe(401);
    }
    expect((await core.listNamespacedPod({ namespace })).items.map((pod) => pod.metadata?.name)).not.toContain(names.driverPod);
  });

  test('a refusal comes back with Spark\'s words, and a killed submitter is started again', async () => {
    const names = sparkJobNames(uniqueName('job'));
    const refused = await submitter.current!.submit(
      sparkSubmitArguments({ ...input('refused'), namespace: 'kube-system' }, { ...names, serviceAccount }, target, ownershipMarks('spark-job', names.workflowId)),
      { signal: new AbortController().signal, onTick: () => undefined },
    );
    expect(refused.ok).toBe(false);
    expect(refused.output).toMatch(/Forbidden|forbidden/);

    const before = submitter.current!.pid!;
    process.kill(before, 'SIGKILL');
    await eventually(async () => submitter.current!.pid, (now) => now !== undefined && now !== before, 60_000);
    const driverPod = await eventually(() => submit(submitter.current!, uniqueName('job')), () => true, 60_000);
    expect((await madeFor(driverPod)).configMaps).toHaveLength(1);
  }, 180_000);
});
