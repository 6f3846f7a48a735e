import { httpGet } from '../http-probe.js';
import { toolBinary } from '../paths.js';
import { assertPortFree } from '../ports.js';
import { SupervisedProcess } from '../supervised-process.js';
import { apiserverUrl, logPath, pkiPath, type ControlPlaneContext } from './context.js';

export const serviceAccountIssuer = 'https://kubernetes.default.svc.cluster.local';

export async function startApiserver(ctx: ControlPlaneContext): Promise<SupervisedProcess> {
  await assertPortFree('kube-apiserver', ctx.ports.apiserver);
  const apiserver = SupervisedProcess.start({
    name: 'kube-apiserver',
    command: toolBinary('kubernetes', 'kube-apiserver'),
    args: [
      `--etcd-servers=http://127.0.0.1:${ctx.ports.etcdClient}`,
      '--bind-address=127.0.0.1', `--secure-port=${ctx.ports.apiserver}`, '--advertise-address=127.0.0.1',
      // The `kubernetes` Service would point at a loopback address, which endpoints reject.
      '--endpoint-reconciler-type=none',
      `--tls-cert-file=${pkiPath(ctx, 'apiserver.crt')}`, `--tls-private-key-file=${pkiPath(ctx, 'apiserver.key')}`,
      `--client-ca-file=${pkiPath(ctx, 'ca.crt')}`,
      '--authorization-mode=Node,RBAC',
      `--service-account-issuer=${serviceAccountIssuer}`,
      `--service-account-key-file=${pkiPath(ctx, 'sa.pub')}`,
      `--service-account-signing-key-file=${pkiPath(ctx, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      '--profiling=false', '--v=1',
    ],
    logFile: logPath(ctx, 'kube-apiserver'),
  });
  await apiserver.waitUntilReady('ready (/readyz)', async () => {
    const { status } = await httpGet(`${apiserverUrl(ctx)}/readyz`, { ca: ctx.pki.caCert });
    return status === 200;
  }, 120_000);
  return apiserver;
}
