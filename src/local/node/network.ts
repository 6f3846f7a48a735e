import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { join } from 'node:path';
import { bridgeAddress, bridgeName, podSubnet, type NodePaths } from './settings.js';

const prefixLength = podSubnet.split('/')[1]!;

/**
 * The node's bridge with its address, made before anything listens on it (CoreDNS, the kubelet,
 * the API relay); the CNI bridge plugin then attaches pods to it.
 */
export function createBridge(): void {
  execFileSync('ip', ['link', 'add', bridgeName, 'type', 'bridge']);
  execFileSync('ip', ['addr', 'add', `${bridgeAddress}/${prefixLength}`, 'dev', bridgeName]);
  execFileSync('ip', ['link', 'set', bridgeName, 'up']);
}

/**
 * Pods on the bridge, addresses from host-local. No masquerading and no port mapping: pods talk
 * to each other and to the host's bridge address only, so the plugins make no iptables chains.
 */
export function writeCniConfig(paths: NodePaths): void {
  mkdirSync(paths.cniConfDir, { recursive: true });
  writeFileSync(join(paths.cniConfDir, '10-compute-orchestrator.conflist'), JSON.stringify({
    cniVersion: '1.0.0',
    name: 'compute-orchestrator',
    plugins: [{
      type: 'bridge', bridge: bridgeName, isGateway: true, ipMasq: false, hairpinMode: true,
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: podSubnet, rangeStart: '10.200.0.10', gateway: bridgeAddress }]],
        routes: [{ dst: '0.0.0.0/0' }],
        dataDir: join(paths.dir, 'cni-ipam'),
      },
    }],
  }, null, 2));
}

/**
 * The API server listens on loopback only; pods reach it through the `kubernetes` Service, whose
 * endpoint is this relay on the bridge address (a byte pipe: TLS stays end to end).
 */
export async function startApiRelay(apiserverPort: number): Promise<Server> {
  const server = createServer((client) => {
    const upstream = connect(apiserverPort, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(apiserverPort, bridgeAddress, () => resolvePromise());
  });
  return server;
}
