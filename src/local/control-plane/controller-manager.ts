import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { httpGet } from '../http-probe.js';
import { toolBinary } from '../paths.js';
import { assertPortFree } from '../ports.js';
import { SupervisedProcess } from '../supervised-process.js';
import { logPath, pkiPath, type ControlPlaneContext } from './context.js';

/** Only what the orchestrator relies on (DESIGN.md): a small set keeps two cores free for tests. */
const controllers = [
  'namespace-controller',
  'garbage-collector-controller',
  'serviceaccount-controller',
  'root-ca-certificate-publisher-controller',
  'clusterrole-aggregation-controller',
  // Lifts the not-ready taint that admission puts on every new node once kwok reports it Ready.
  'node-lifecycle-controller',
  // Endpoints of Services with selectors: a Spark driver's headless Service, found by its executors.
  'endpointslice-controller',
];

async function controllersAtWork(kubeconfig: string): Promise<boolean> {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  // The root CA publisher writes this config map, and aggregation fills `admin`'s rules.
  await config.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'kube-root-ca.crt', namespace: 'default' });
  const admin = await config.makeApiClient(RbacAuthorizationV1Api).readClusterRole({ name: 'admin' });
  return (admin.rules ?? []).length > 0;
}

export async function startControllerManager(ctx: ControlPlaneContext): Promise<SupervisedProcess> {
  await assertPortFree('kube-controller-manager', ctx.ports.controllerManager);
  const kubeconfig = ctx.kubeconfigs.controllerManager;
  const manager = SupervisedProcess.start({
    name: 'kube-controller-manager',
    command: toolBinary('kubernetes', 'kube-controller-manager'),
    args: [
      `--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1', `--secure-port=${ctx.ports.controllerManager}`, `--cert-dir=${ctx.dir}/controller-manager`,
      '--leader-elect=false', `--controllers=${controllers.join(',')}`,
      // Each controller acts as its own service account with its bootstrap role, as in a real cluster.
      '--use-service-account-credentials=true',
      `--root-ca-file=${pkiPath(ctx, 'ca.crt')}`, '--v=1',
    ],
    logFile: logPath(ctx, 'kube-controller-manager'),
  });
  await manager.waitUntilReady('healthy (/healthz)', async () => {
    const { status } = await httpGet(`https://127.0.0.1:${ctx.ports.controllerManager}/healthz`, { rejectUnauthorized: false });
    return status === 200;
  }, 60_000);
  await manager.waitUntilReady('running its controllers', () => controllersAtWork(ctx.kubeconfigs.admin), 60_000);
  return manager;
}
