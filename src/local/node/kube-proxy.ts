import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { httpGet } from '../http-probe.js';
import { toolBinary } from '../paths.js';
import { SupervisedProcess } from '../supervised-process.js';
import { kubeProxyPorts, nodeName, podSubnet, type NodePaths } from './settings.js';

/**
 * iptables mode, listening on loopback only, and touching no more kernel settings than it must:
 * no localhost node ports (they need route_localnet), conntrack limits and timeouts left as they are.
 */
function config(kubeconfig: string): Record<string, unknown> {
  return {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig },
    hostnameOverride: nodeName,
    mode: 'iptables',
    clusterCIDR: podSubnet,
    bindAddress: '127.0.0.1',
    healthzBindAddress: `127.0.0.1:${kubeProxyPorts.healthz}`,
    metricsBindAddress: `127.0.0.1:${kubeProxyPorts.metrics}`,
    iptables: { localhostNodePorts: false },
    nodePortAddresses: ['primary'],
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
  };
}

export async function startKubeProxy(paths: NodePaths, kubeconfig: string, logDir: string): Promise<SupervisedProcess> {
  const configFile = join(paths.dir, 'kube-proxy-config.yaml');
  writeFileSync(configFile, stringify(config(kubeconfig)));
  const proxy = SupervisedProcess.start({
    name: 'kube-proxy',
    command: toolBinary('kubernetes-node', 'kube-proxy'),
    args: [`--config=${configFile}`, '--v=1'],
    logFile: join(logDir, 'kube-proxy.log'),
  });
  await proxy.waitUntilReady('healthy (/healthz)', async () => {
    const { status } = await httpGet(`http://127.0.0.1:${kubeProxyPorts.healthz}/healthz`);
    return status === 200;
  }, 60_000);
  return proxy;
}
