import { describe, expect, test } from '@jest/globals';
import { configVariables, loadRuntimeConfig } from '../../src/config.js';

describe('loadRuntimeConfig', () => {
  test('has loopback defaults', () => {
    expect(loadRuntimeConfig({})).toMatchObject({
      temporalAddress: '127.0.0.1:7233', temporalNamespace: 'default', taskQueue: 'compute-orchestrator', apiHost: '127.0.0.1', apiPort: 8080,
    });
  });

  test('reads the environment', () => {
    expect(loadRuntimeConfig({ TEMPORAL_ADDRESS: 'temporal:7233', API_PORT: '9090', TEMPORAL_TASK_QUEUE: 'q' }))
      .toMatchObject({ temporalAddress: 'temporal:7233', apiPort: 9090, taskQueue: 'q' });
  });

  test('names the variable that is wrong', () => {
    expect(() => loadRuntimeConfig({ API_PORT: 'eighty' })).toThrow("API_PORT must be an integer of at least 1, got 'eighty'");
    expect(() => loadRuntimeConfig({ API_BODY_LIMIT_BYTES: '-1' })).toThrow(/API_BODY_LIMIT_BYTES/);
    expect(() => loadRuntimeConfig({ KERNEL_MAX_PER_USER: '-1' })).toThrow("KERNEL_MAX_PER_USER must be an integer of at least 0, got '-1'");
  });

  test('kernel limits: 10 per user by default, 0 lifts the limit', () => {
    expect(loadRuntimeConfig({})).toMatchObject({ kernelMaxPerUser: 10, kernelHistoryEventLimit: 2_000, maxPodWatches: 5_000 });
    expect(loadRuntimeConfig({ KERNEL_MAX_PER_USER: '0' }).kernelMaxPerUser).toBe(0);
  });

  test('codec: keys in .local by default; CORS for the local Web UI, a list of origins, or none', () => {
    expect(loadRuntimeConfig({})).toMatchObject({
      codecKeysFile: '.local/codec-keys.json', codecCorsOrigins: ['http://127.0.0.1:8233', 'http://localhost:8233'],
    });
    expect(loadRuntimeConfig({ CODEC_KEYS_FILE: '/etc/co/keys.json', CODEC_CORS_ORIGINS: 'https://temporal.example.com, http://10.0.0.5:8080' }))
      .toMatchObject({ codecKeysFile: '/etc/co/keys.json', codecCorsOrigins: ['https://temporal.example.com', 'http://10.0.0.5:8080'] });
    expect(loadRuntimeConfig({ CODEC_CORS_ORIGINS: '' }).codecCorsOrigins).toEqual([]);
    expect(() => loadRuntimeConfig({ CODEC_CORS_ORIGINS: 'https://temporal.example.com/' }))
      .toThrow("CODEC_CORS_ORIGINS must be a comma-separated list of origins such as http://127.0.0.1:8233, got 'https://temporal.example.com/'");
    expect(() => loadRuntimeConfig({ CODEC_CORS_ORIGINS: '*' })).toThrow(/CODEC_CORS_ORIGINS/);
  });
});

describe('TLS to Temporal (TEMPORAL_TLS*)', () => {
  test('plaintext by default; TEMPORAL_TLS=1 alone: TLS verified by the system\'s CAs', () => {
    expect(loadRuntimeConfig({}).temporalTls).toBeUndefined();
    expect(loadRuntimeConfig({ TEMPORAL_TLS: '1' }).temporalTls).toEqual({});
    expect(() => loadRuntimeConfig({ TEMPORAL_TLS: 'true' })).toThrow("TEMPORAL_TLS must be 1 or unset, got 'true'");
  });

  test('a CA, a client certificate or a server name each means TLS', () => {
    expect(loadRuntimeConfig({ TEMPORAL_TLS_CA_FILE: '/tls/ca.pem' }).temporalTls).toEqual({ caFile: '/tls/ca.pem' });
    expect(loadRuntimeConfig({ TEMPORAL_TLS_SERVER_NAME: 'temporal.example.com' }).temporalTls).toEqual({ serverName: 'temporal.example.com' });
    expect(loadRuntimeConfig({ TEMPORAL_TLS_CERT_FILE: '/tls/client.pem', TEMPORAL_TLS_KEY_FILE: '/tls/client.key' }).temporalTls)
      .toEqual({ clientCert: { certFile: '/tls/client.pem', keyFile: '/tls/client.key' } });
  });

  test('a client certificate without its key, or a key without its certificate, names both variables', () => {
    const both = 'TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE are the client certificate and its key: set both or neither';
    expect(() => loadRuntimeConfig({ TEMPORAL_TLS_CERT_FILE: '/tls/client.pem' })).toThrow(both);
    expect(() => loadRuntimeConfig({ TEMPORAL_TLS_KEY_FILE: '/tls/client.key' })).toThrow(both);
  });
});

describe('the cluster local and the worker\'s addresses', () => {
  const pod = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

  test('a kubeconfig file, or in a pod its service account, or none', () => {
    expect(loadRuntimeConfig({}).localCluster).toBeUndefined();
    expect(loadRuntimeConfig({ KUBECONFIG_LOCAL: '/k/config' }).localCluster).toEqual({ kubeconfig: '/k/config' });
    expect(loadRuntimeConfig({ ...pod, KUBERNETES_IN_CLUSTER: '1' }).localCluster).toEqual({ serviceAccountDir: '/var/run/secrets/kubernetes.io/serviceaccount' });
    expect(loadRuntimeConfig({ ...pod, KUBERNETES_IN_CLUSTER: '1', KUBERNETES_SERVICE_ACCOUNT_DIR: '/tmp/x/var/run/secrets/kubernetes.io/serviceaccount' }).localCluster)
      .toEqual({ serviceAccountDir: '/tmp/x/var/run/secrets/kubernetes.io/serviceaccount' });
  });

  test('KUBERNETES_IN_CLUSTER: names what is wrong', () => {
    expect(() => loadRuntimeConfig({ ...pod, KUBERNETES_IN_CLUSTER: '1', KUBECONFIG_LOCAL: '/k/config' }))
      .toThrow('KUBERNETES_IN_CLUSTER=1 and KUBECONFIG_LOCAL both say how to reach the cluster local: set only one of them');
    expect(() => loadRuntimeConfig({ ...pod, KUBERNETES_IN_CLUSTER: 'yes' })).toThrow("KUBERNETES_IN_CLUSTER must be 1 or unset, got 'yes'");
    expect(() => loadRuntimeConfig({ KUBERNETES_IN_CLUSTER: '1', KUBERNETES_SERVICE_PORT: '443' }))
      .toThrow('KUBERNETES_IN_CLUSTER=1 needs KUBERNETES_SERVICE_HOST, which Kubernetes sets in every pod');
    expect(() => loadRuntimeConfig({ ...pod, KUBERNETES_IN_CLUSTER: '1', KUBERNETES_SERVICE_ACCOUNT_DIR: '/tmp/sa' }))
      .toThrow("KUBERNETES_SERVICE_ACCOUNT_DIR must end with /var/run/secrets/kubernetes.io/serviceaccount, got '/tmp/sa'");
  });

  test("the worker's workflow cache and slots are set, not left to the SDK's guess from the heap; more workflow tasks than cached workflows is refused", () => {
    expect(loadRuntimeConfig({})).toMatchObject({ maxCachedWorkflows: 1_000, maxWorkflowTasks: 40, maxActivities: 100 });
    expect(loadRuntimeConfig({ WORKER_MAX_CACHED_WORKFLOWS: '200', WORKER_MAX_WORKFLOW_TASKS: '200', WORKER_MAX_ACTIVITIES: '20' }))
      .toMatchObject({ maxCachedWorkflows: 200, maxWorkflowTasks: 200, maxActivities: 20 });
    expect(() => loadRuntimeConfig({ WORKER_MAX_CACHED_WORKFLOWS: '100', WORKER_MAX_WORKFLOW_TASKS: '101' }))
      .toThrow('WORKER_MAX_WORKFLOW_TASKS (101) may not exceed WORKER_MAX_CACHED_WORKFLOWS (100)');
    expect(() => loadRuntimeConfig({ WORKER_MAX_CACHED_WORKFLOWS: '1' })).toThrow("WORKER_MAX_CACHED_WORKFLOWS must be an integer of at least 2, got '1'");
  });

  test('WORKER_HEALTH_ADDRESS and WORKER_METRICS_ADDRESS are host:port', () => {
    expect(loadRuntimeConfig({ WORKER_HEALTH_ADDRESS: '0.0.0.0:8081', WORKER_METRICS_ADDRESS: '[::]:9464' }))
      .toMatchObject({ workerHealthAddress: '0.0.0.0:8081', workerMetricsAddress: '[::]:9464' });
    expect(loadRuntimeConfig({}).workerHealthAddress).toBeUndefined();
    expect(() => loadRuntimeConfig({ WORKER_HEALTH_ADDRESS: '8081' }))
      .toThrow("WORKER_HEALTH_ADDRESS must be host:port with a port from 1 to 65535, such as 0.0.0.0:9464, got '8081'");
    expect(() => loadRuntimeConfig({ WORKER_METRICS_ADDRESS: 'localhost:70000' })).toThrow(/WORKER_METRICS_ADDRESS/);
  });
});

describe('configVariables', () => {
  test('are exactly what loadRuntimeConfig reads, and LOG_LEVEL, which the logger reads', () => {
    const read = new Set<string>();
    // In a pod, so that the in-cluster variables are read too.
    const given: Record<string, string> = { KUBERNETES_IN_CLUSTER: '1', KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '443' };
    loadRuntimeConfig(new Proxy(given, {
      get: (target, name: string) => {
        read.add(name);
        return target[name];
      },
    }));
    expect([...read, 'LOG_LEVEL'].sort()).toEqual([...configVariables].sort());
  });
});
