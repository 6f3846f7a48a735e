import { CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';
import { join } from 'node:path';
import { repoRoot, toolBinary } from '../paths.js';
import { SupervisedProcess } from '../supervised-process.js';
import { logPath, type ControlPlaneContext } from './context.js';

const managedAnnotation = 'kwok.x-k8s.io/node';
export const fakeNodeName = 'kwok-node-0';

function fakeNode(): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: fakeNodeName,
      annotations: { [managedAnnotation]: 'fake' },
      labels: { 'kubernetes.io/hostname': fakeNodeName, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
    },
  };
}

/** Ready, and schedulable: the node-lifecycle controller has lifted the taints of a new node. */
export function nodeReady(node: V1Node): boolean {
  const ready = node.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;
  return ready && !(node.spec?.taints ?? []).some((taint) => taint.key.startsWith('node.kubernetes.io/'));
}

/** kwok plays the kubelet for one fake node, with the pod lifecycles of src/local/kwok-stages.yaml. */
export async function startKwok(ctx: ControlPlaneContext): Promise<SupervisedProcess> {
  const kwok = SupervisedProcess.start({
    name: 'kwok',
    command: toolBinary('kwok'),
    args: [
      `--kubeconfig=${ctx.kubeconfigs.kwok}`,
      `--config=${join(repoRoot, 'src', 'local', 'kwok-stages.yaml')}`,
      '--manage-all-nodes=false', `--manage-nodes-with-annotation-selector=${managedAnnotation}=fake`,
      '--cidr=10.244.0.0/16', '--node-ip=10.0.0.10', '--node-lease-duration-seconds=40',
    ],
    logFile: logPath(ctx, 'kwok'),
  });
  const config = new KubeConfig();
  config.loadFromFile(ctx.kubeconfigs.admin);
  const core = config.makeApiClient(CoreV1Api);
  await core.createNode({ body: fakeNode() }).catch((error: { code?: number }) => {
    if (error.code !== 409) throw error;
  });
  await kwok.waitUntilReady(`reporting node ${fakeNodeName} Ready and untainted`, async () => nodeReady(await core.readNode({ name: fakeNodeName })), 60_000);
  return kwok;
}
