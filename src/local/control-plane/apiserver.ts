import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { httpGet } from '../http-probe.js';
import { toolBinary } from '../paths.js';
import { assertPortFree } from '../ports.js';
import { SupervisedProcess } from '../supervised-process.js';
import { serviceSubnet } from '../node/settings.js';
import { apiserverUrl, logPath, pkiPath, type ControlPlaneContext } from './context.js';

export const serviceAccountIssuer = 'https://kubernetes.default.svc.cluster.local';

/**
 * Operators' audit trail: who created and deleted pods, service accounts, namespaces, roles and
 * role bindings, and who asked for tokens. Metadata only: no request or response body, so never
 * a token.
 */
const auditPolicy = {
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [
    {
      level: 'Metadata',
      verbs: ['create', 'delete', 'deletecollection'],
      resources: [
        { group: '', resources: ['pods', 'serviceaccounts', 'serviceaccounts/token', 'namespaces'] },
        { group: 'rbac.authorization.k8s.io', resources: ['roles', 'rolebindings'] },
      ],
    },
    { level: 'None' },
  ],
};

export const auditLogName = 'kube-apiserver-audit.log';

export async function startApiserver(ctx: ControlPlaneContext): Promise<SupervisedProcess> {
  await assertPortFree('kube-apiserver', ctx.ports.apiserver);
  const auditPolicyFile = join(ctx.dir, 'audit-policy.yaml');
  writeFileSync(auditPolicyFile, stringify(auditPolicy));
  const apiserver = SupervisedProcess.start({
    name: 'kube-apiserver',
    command: toolBinary('kubernetes', 'kube-apiserver'),
    args: [
      `--etcd-servers=http://127.0.0.1:${ctx.ports.etcdClient}`,
      '--bind-address=127.0.0.1', `--secure-port=${ctx.ports.apiserver}`, '--advertise-address=127.0.0.1',
      // The `kubernetes` Service would point at a loopback address, which endpoints reject; with a
      // real node its endpoint is the API relay on the node's bridge (node/cluster-objects.ts).
      '--endpoint-reconciler-type=none',
      `--tls-cert-file=${pkiPath(ctx, 'apiserver.crt')}`, `--tls-private-key-file=${pkiPath(ctx, 'apiserver.key')}`,
      `--client-ca-file=${pkiPath(ctx, 'ca.crt')}`,
      '--authorization-mode=Node,RBAC',
      `--service-account-issuer=${serviceAccountIssuer}`,
      `--service-account-key-file=${pkiPath(ctx, 'sa.pub')}`,
      `--service-account-signing-key-file=${pkiPath(ctx, 'sa.key')}`,
      `--service-cluster-ip-range=${serviceSubnet}`,
      `--audit-policy-file=${auditPolicyFile}`, `--audit-log-path=${join(ctx.logDir, auditLogName)}`,
      '--audit-log-format=json', '--audit-log-maxsize=100', '--audit-log-maxbackup=3',
      // Logs and exec reach the real node's kubelet, whose serving certificate our CA signed.
      `--kubelet-client-certificate=${pkiPath(ctx, 'apiserverKubeletClient.crt')}`,
      `--kubelet-client-key=${pkiPath(ctx, 'apiserverKubeletClient.key')}`,
      `--kubelet-certificate-authority=${pkiPath(ctx, 'ca.crt')}`, '--kubelet-preferred-address-types=InternalIP',
      // Routes pods that ask for a simulated lifecycle to the kwok node (node/simulation-routing.ts).
      '--feature-gates=MutatingAdmissionPolicy=true', '--runtime-config=admissionregistration.k8s.io/v1beta1=true',
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
