import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpGet } from '../http-probe.js';
import { toolBinary } from '../paths.js';
import { SupervisedProcess } from '../supervised-process.js';
import { bridgeAddress, clusterDomain, type NodePaths } from './settings.js';

const healthPort = 10254;

/**
 * Cluster DNS on the bridge address (the kubelet's clusterDNS): Spark's executors find their
 * driver by its headless Service's name. Names outside the cluster go to the host's resolvers.
 */
function corefile(kubeconfig: string): string {
  return `.:53 {
    bind ${bridgeAddress}
    errors
    health 127.0.0.1:${healthPort}
    ready 127.0.0.1:${healthPort + 1}
    kubernetes ${clusterDomain} in-addr.arpa ip6.arpa {
        kubeconfig ${kubeconfig}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    forward . /etc/resolv.conf
    cache 10
}
`;
}

export async function startCoreDns(paths: NodePaths, kubeconfig: string, logDir: string): Promise<SupervisedProcess> {
  const file = join(paths.dir, 'Corefile');
  writeFileSync(file, corefile(kubeconfig));
  const coredns = SupervisedProcess.start({
    name: 'coredns', command: toolBinary('coredns'), args: ['-conf', file], logFile: join(logDir, 'coredns.log'),
  });
  await coredns.waitUntilReady('ready (/ready)', async () => {
    const { status } = await httpGet(`http://127.0.0.1:${healthPort + 1}/ready`);
    return status === 200;
  }, 60_000);
  return coredns;
}
