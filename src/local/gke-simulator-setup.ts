import { KubeConfig } from '@kubernetes/client-node';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterAdminToken } from './cluster-admin-token.js';
import { startGkeSimulator, type GkeSimulator, type GkeSimulatorOptions, type SimulatorLogger } from './gke-simulator/index.js';

export interface LocalGkeApi {
  simulator: GkeSimulator;
  /** Presets naming the connection `simulator` and the node pool `small`, for CLUSTER_PRESETS_FILE. */
  presetsFile: string;
}

/**
 * The local fake of the GKE API for `npm start` (GKE_SIMULATOR=1), so that a person can try the
 * cluster flow without a Google account. Its clusters are the local control plane. What GKE
 * would take as a Google token is here a service account token of an admin account, kept in a
 * 0600 file that the `simulator` connection reads as its access-token file.
 */
export async function startLocalGkeApi(
  kubeconfig: string, stateDir: string, timing: Pick<GkeSimulatorOptions, 'operationSeconds' | 'operationJitterSeconds'>, logger: SimulatorLogger,
): Promise<LocalGkeApi> {
  const admin = new KubeConfig();
  admin.loadFromFile(kubeconfig);
  const cluster = admin.getCurrentCluster();
  if (!cluster?.caData) throw new Error(`the kubeconfig ${kubeconfig} has no cluster CA, which the GKE simulator must report`);
  const token = await clusterAdminToken(admin, 'gke-simulator-admin', 24 * 3600);

  const dir = join(stateDir, 'gke-simulator');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const simulator = await startGkeSimulator({
    kubernetes: { endpoint: new URL(cluster.server).host, caCertificatePem: Buffer.from(cluster.caData, 'base64').toString('utf8') },
    ...timing,
    logger,
  });
  const presetsFile = join(dir, 'presets.json');
  writeFileSync(presetsFile, JSON.stringify({
    gkeConnections: {
      simulator: { project: 'local-simulator', location: 'europe-west1', credentials: { type: 'access-token-file', path: tokenFile }, apiEndpoint: simulator.address },
    },
    nodePools: { small: { machineType: 'e2-standard-4', nodeCount: 1 } },
  }, null, 2));
  return { simulator, presetsFile };
}
