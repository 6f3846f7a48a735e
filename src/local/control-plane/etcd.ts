import { join } from 'node:path';
import { httpGet } from '../http-probe.js';
import { toolBinary } from '../paths.js';
import { assertPortFree } from '../ports.js';
import { SupervisedProcess } from '../supervised-process.js';
import { logPath, type ControlPlaneContext } from './context.js';

export async function startEtcd(ctx: ControlPlaneContext): Promise<SupervisedProcess> {
  const { etcdClient, etcdPeer } = ctx.ports;
  await assertPortFree('etcd', etcdClient);
  await assertPortFree('etcd', etcdPeer);
  const client = `http://127.0.0.1:${etcdClient}`;
  const peer = `http://127.0.0.1:${etcdPeer}`;
  const etcd = SupervisedProcess.start({
    name: 'etcd',
    command: toolBinary('etcd'),
    args: [
      '--name=local', `--data-dir=${join(ctx.dir, 'etcd')}`,
      `--listen-client-urls=${client}`, `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`, `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=local=${peer}`, '--listen-metrics-urls=', '--log-level=warn',
      // A local dev store: small, compacted often, no fsync per write on a developer's disk.
      '--quota-backend-bytes=2147483648', '--auto-compaction-retention=10m', '--unsafe-no-fsync',
    ],
    logFile: logPath(ctx, 'etcd'),
  });
  await etcd.waitUntilReady('healthy', async () => {
    const { status, body } = await httpGet(`${client}/health`);
    return status === 200 && body.includes('"health":"true"');
  }, 30_000);
  return etcd;
}
