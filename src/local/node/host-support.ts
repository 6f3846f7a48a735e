import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { toolBinary } from '../paths.js';
import { cgroupHierarchies } from './host-state.js';

const hasCommand = (command: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/**
 * Why this machine cannot run a real node, in one sentence, or undefined when it can. The
 * packages are installed by tools/install-debian-packages.sh and the binaries by tools/build-all.sh
 * when they run as root.
 */
export function whyNoRealNode(imagesDir: string | undefined): string | undefined {
  if (process.getuid?.() !== 0) return 'a real node needs root (containers, cgroups, a network bridge), and this runs as an ordinary user';
  if (!existsSync('/sys/fs/cgroup') || cgroupHierarchies().length === 0) return 'a real node needs cgroups, and /sys/fs/cgroup has none mounted';
  const missingPackages = ['containerd', 'runc', 'iptables', 'ip'].filter((command) => !hasCommand(command));
  if (!existsSync('/usr/lib/cni/bridge')) missingPackages.push('containernetworking-plugins');
  if (missingPackages.length > 0) return `a real node needs Debian's ${missingPackages.join(', ')} (run 'bash tools/bootstrap.sh' as root)`;
  const binaries = [toolBinary('kubernetes-node', 'kubelet'), toolBinary('kubernetes-node', 'kube-proxy'), toolBinary('coredns')];
  const missing = binaries.find((binary) => !existsSync(binary));
  if (missing) return `a real node needs ${missing}, which is not built (run 'bash tools/build-all.sh' as root)`;
  if (!imagesDir) return "a real node needs its images, which are not built (run 'bash tools/build-all.sh' as root)";
  return undefined;
}
