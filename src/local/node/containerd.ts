import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SupervisedProcess } from '../supervised-process.js';
import type { NodePaths } from './settings.js';

const run = promisify(execFile);
export const sandboxImage = 'registry.k8s.io/pause:3.10';

/**
 * containerd with every path under the node's directory and no TCP listener. The VM may lack
 * CAP_SYS_RESOURCE, so no negative OOM score is asked for (the kubelet asks -997/-998 for
 * sandboxes: restrict_oom_score_adj caps it at containerd's own, 0).
 */
function config(paths: NodePaths): string {
  return `version = 2
root = "${paths.containerdRoot}"
state = "${paths.containerdState}"
oom_score = 0
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "${paths.containerdSocket}"

[plugins."io.containerd.internal.v1.opt"]
  path = "${join(paths.dir, 'containerd', 'opt')}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${sandboxImage}"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${paths.cniConfDir}"
`;
}

export const ctr = (paths: NodePaths, ...args: string[]) =>
  run('ctr', ['--address', paths.containerdSocket, '--namespace', 'k8s.io', ...args], { maxBuffer: 16 * 1024 * 1024 });

export async function startContainerd(paths: NodePaths, logDir: string): Promise<SupervisedProcess> {
  mkdirSync(join(paths.dir, 'containerd'), { recursive: true });
  const configFile = join(paths.dir, 'containerd', 'config.toml');
  writeFileSync(configFile, config(paths));
  const containerd = SupervisedProcess.start({
    name: 'containerd', command: '/usr/bin/containerd', args: ['--config', configFile], logFile: join(logDir, 'containerd.log'),
  });
  await containerd.waitUntilReady('serving its socket', async () => {
    await ctr(paths, 'version');
    return true;
  }, 30_000);
  return containerd;
}

interface ImageArchive { name: string; archive: string }

/**
 * The images built by tools/build-images.sh, imported unless containerd has them: no registry is
 * ever asked (pods name them with pull policy IfNotPresent).
 */
export async function importImages(paths: NodePaths, imagesDir: string): Promise<string[]> {
  const wanted = JSON.parse(readFileSync(join(imagesDir, 'images.json'), 'utf8')) as ImageArchive[];
  const { stdout } = await ctr(paths, 'images', 'list', '--quiet');
  const present = new Set(stdout.split('\n'));
  const imported: string[] = [];
  for (const image of wanted.filter(({ name }) => !present.has(name))) {
    await ctr(paths, 'images', 'import', join(imagesDir, image.archive));
    imported.push(image.name);
  }
  return imported;
}
