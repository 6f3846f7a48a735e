import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StaticClusterPreset } from '../../../src/domain/cluster-presets.js';
import type { GkeSimulator } from '../../../src/local/gke-simulator/index.js';
import { startLocalGkeApi } from '../../../src/local/gke-simulator-setup.js';
import { readStackInfo } from './stack-info.js';

export interface GkeFixture {
  gke: GkeSimulator;
  /** Presets: GKE connection `simulator` (project `local-simulator`), node pool `small`, and `staticClusters`. */
  presetsFile: string;
  stop(): Promise<void>;
}

const silent = { info: () => undefined };

/** The local GKE API as `GKE_SIMULATOR=1 npm start` runs it, its clusters the test stack's control plane. */
export async function startGkeFixture(options: { operationSeconds: number; staticClusters?: Record<string, StaticClusterPreset> }): Promise<GkeFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'gke-fixture-'));
  const { simulator, presetsFile } = await startLocalGkeApi(readStackInfo().kubeconfig, dir, { operationSeconds: options.operationSeconds }, silent);
  const presets = JSON.parse(readFileSync(presetsFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(presetsFile, JSON.stringify({ ...presets, staticClusters: options.staticClusters ?? {} }));
  return {
    gke: simulator, presetsFile,
    async stop() {
      await simulator.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
