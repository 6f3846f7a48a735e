import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StaticClusterPreset } from '../../../src/domain/cluster-presets.js';
import { startGkeSimulator, type GkeSimulator } from '../../../src/local/gke-simulator/index.js';
import { adminKubeConfig, clusterAdminToken, uniqueName } from './kube.js';
import { readStackInfo } from './stack-info.js';

export interface GkeFixture {
  gke: GkeSimulator;
  /** A presets file with GKE connection `sim` (the simulator), node pool `small` and `staticClusters`. */
  presetsFile: string;
  stop(): Promise<void>;
}

/**
 * The local GKE API, whose clusters are the test stack's control plane. The OAuth token the
 * orchestrator presents to such a cluster comes from an access-token file: here a cluster-admin
 * service account's token, which the local API server accepts as GKE's accepts a Google token.
 */
export async function startGkeFixture(options: { operationSeconds: number; staticClusters?: Record<string, StaticClusterPreset> }): Promise<GkeFixture> {
  const token = await clusterAdminToken(uniqueName('gke-admin'));
  const dir = mkdtempSync(join(tmpdir(), 'gke-fixture-'));
  writeFileSync(join(dir, 'token'), token, { mode: 0o600 });
  const server = new URL(readStackInfo().apiserverUrl);
  const caData = adminKubeConfig().getCurrentCluster()?.caData ?? '';
  const gke = await startGkeSimulator({
    kubernetes: { endpoint: server.host, caCertificatePem: Buffer.from(caData, 'base64').toString('utf8') },
    operationSeconds: options.operationSeconds,
  });
  const presetsFile = join(dir, 'presets.json');
  writeFileSync(presetsFile, JSON.stringify({
    gkeConnections: { sim: { project: 'test-project', location: 'europe-west1', credentials: { type: 'access-token-file', path: join(dir, 'token') }, apiEndpoint: gke.address } },
    nodePools: { small: { machineType: 'e2-standard-4', nodeCount: 1 } },
    staticClusters: options.staticClusters ?? {},
  }));
  return {
    gke, presetsFile,
    async stop() {
      await gke.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
