import { describe, expect, test } from '@jest/globals';
import type { KubernetesObject, V1ConfigMap, V1Container, V1Deployment, V1Secret, V1Service, V1ServiceAccount } from '@kubernetes/client-node';
import { join } from 'node:path';
import { configVariables, loadRuntimeConfig } from '../../src/config.js';
import { managedByLabel } from '../../src/domain/labels.js';
import { repoRoot } from '../../src/local/paths.js';
import { manifestsIn, rbacManifests } from '../../src/rbac-manifests.js';

const orchestratorDir = join(repoRoot, 'deploy', 'orchestrator');
const objects = manifestsIn(orchestratorDir);
const secrets = manifestsIn(join(orchestratorDir, 'secrets')) as V1Secret[];
const find = <T extends KubernetesObject>(list: KubernetesObject[], kind: string, name: string): T => {
  const found = list.find((object) => object.kind === kind && object.metadata?.name === name);
  if (!found) throw new Error(`deploy/orchestrator has no ${kind} ${name}`);
  return found as T;
};
const worker = find<V1Deployment>(objects, 'Deployment', 'compute-orchestrator-worker');
const api = find<V1Deployment>(objects, 'Deployment', 'compute-orchestrator-api');
const containerOf = (deployment: V1Deployment): V1Container => deployment.spec!.template.spec!.containers[0]!;
const configMap = find<V1ConfigMap>(objects, 'ConfigMap', 'compute-orchestrator');

/** A container's environment as the process sees it: the ConfigMaps of envFrom, then env. */
function environment(deployment: V1Deployment): Record<string, string> {
  const container = containerOf(deployment);
  const fromConfigMaps = (container.envFrom ?? []).map((source) => find<V1ConfigMap>(objects, 'ConfigMap', source.configMapRef!.name!).data ?? {});
  return Object.assign({}, ...fromConfigMaps, Object.fromEntries((container.env ?? []).map((variable) => [variable.name, variable.value ?? ''])));
}

/** Every file of a Secret the container mounts: its path in the container, the Secret and the key. */
function secretFiles(deployment: V1Deployment): { path: string; secret: string; key: string }[] {
  const volumes = deployment.spec!.template.spec!.volumes ?? [];
  return (containerOf(deployment).volumeMounts ?? []).flatMap((mount) => {
    const secret = volumes.find((volume) => volume.name === mount.name)?.secret;
    if (!secret) return [];
    expect(mount.readOnly).toBe(true);
    return (secret.items ?? []).map((item) => ({ path: `${mount.mountPath}/${item.path}`, secret: secret.secretName!, key: item.key }));
  });
}
const fileVariables = (env: Record<string, string>): string[] => Object.keys(env).filter((name) => name.endsWith('_FILE'));

describe('deploy/orchestrator', () => {
  test('sets only variables the code reads', () => {
    for (const deployment of [worker, api]) {
      for (const name of Object.keys(environment(deployment))) expect(configVariables).toContain(name);
    }
  });

  test("each process's configuration is valid, as loadRuntimeConfig reads it in a pod", () => {
    const pod = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    expect(loadRuntimeConfig({ ...environment(worker), ...pod })).toMatchObject({
      localCluster: { serviceAccountDir: '/var/run/secrets/kubernetes.io/serviceaccount' }, workerHealthAddress: '0.0.0.0:8081', workerMetricsAddress: '0.0.0.0:9464',
    });
    expect(loadRuntimeConfig({ ...environment(api), ...pod })).toMatchObject({ apiHost: '0.0.0.0', apiPort: 8080, codecCorsOrigins: [] });
  });

  test('every *_FILE variable names a file of a Secret the process mounts read-only, and every mounted file is named', () => {
    const presetsSecret = find<V1Secret>(secrets, 'Secret', 'compute-orchestrator-cluster-presets');
    // Read, not parsed: the template's placeholders are meant to fail the presets' checks.
    const presets = JSON.parse(presetsSecret.stringData!['cluster-presets.json']!) as { gkeConnections: Record<string, { credentials: { path?: string } }> };
    const keyFiles = Object.values(presets.gkeConnections).flatMap(({ credentials }) => credentials.path ?? []);
    for (const deployment of [worker, api]) {
      const env = environment(deployment);
      const files = secretFiles(deployment);
      expect(fileVariables(env).map((name) => env[name]).sort()).toEqual(files.map((file) => file.path).filter((path) => !keyFiles.includes(path)).sort());
      for (const file of files) expect(find<V1Secret>(secrets, 'Secret', file.secret).stringData).toHaveProperty([file.key]);
    }
    // The template's GKE key file is the one the worker mounts; the API never uses it.
    expect(keyFiles.length).toBeGreaterThan(0);
    for (const path of keyFiles) expect(secretFiles(worker).map((file) => file.path)).toContain(path);
    expect(fileVariables(environment(worker)).sort()).toEqual(['CLUSTER_PRESETS_FILE', 'CODEC_KEYS_FILE']);
    expect(fileVariables(environment(api)).sort()).toEqual(['API_TOKENS_FILE', 'CLUSTER_PRESETS_FILE', 'CODEC_KEYS_FILE']);
  });

  test("one image, two commands; both act as deploy/rbac's service account (the API for kernels' channels)", () => {
    expect(containerOf(worker).image).toBe(containerOf(api).image);
    expect(containerOf(worker).command).toEqual(['node', 'dist/worker.js']);
    expect(containerOf(api).command).toEqual(['node', 'dist/api/main.js']);
    const account = rbacManifests().find((object) => object.kind === 'ServiceAccount') as V1ServiceAccount;
    for (const deployment of [worker, api]) {
      expect(deployment.spec!.template.spec!.serviceAccountName).toBe(account.metadata!.name);
      expect(environment(deployment).KUBERNETES_IN_CLUSTER).toBe('1');
    }
    expect(containerOf(worker).env?.find((variable) => variable.name === 'KERNEL_RESPONSE_HOST')?.valueFrom?.fieldRef?.fieldPath).toBe('status.podIP');
    for (const object of [...objects, ...secrets]) expect(object.metadata?.namespace ?? account.metadata!.namespace).toBe(account.metadata!.namespace);
  });

  test('probes, ports and scrape annotations agree with the addresses the processes listen on', () => {
    const port = (deployment: V1Deployment, name: string): number | undefined => containerOf(deployment).ports?.find((candidate) => candidate.name === name)?.containerPort;
    const env = environment(worker);
    expect(env.WORKER_HEALTH_ADDRESS).toBe(`0.0.0.0:${port(worker, 'health')}`);
    expect(env.WORKER_METRICS_ADDRESS).toBe(`0.0.0.0:${port(worker, 'metrics')}`);
    expect(worker.spec!.template.metadata!.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port(worker, 'metrics')) });
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const) {
      expect(containerOf(worker)[probe]?.httpGet).toEqual({ path: '/healthz', port: 'health' });
    }
    expect(environment(api).API_PORT).toBe(String(port(api, 'http')));
    expect(find<V1Service>(objects, 'Service', 'compute-orchestrator-api').spec!.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http' }]);
  });

  test('no object carries the managed-by mark, which tells the janitor it may delete it', () => {
    for (const object of [...objects, ...secrets, configMap]) expect(Object.keys(object.metadata?.labels ?? {})).not.toContain(managedByLabel);
    for (const deployment of [worker, api]) expect(Object.keys(deployment.spec!.template.metadata!.labels ?? {})).not.toContain(managedByLabel);
  });
});
