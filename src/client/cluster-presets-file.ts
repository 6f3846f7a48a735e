import { readJsonFile } from '../config-file.js';
import { emptyClusterPresets, parseClusterPresets, type ClusterPresets } from '../domain/cluster-presets.js';

/** The operators' cluster presets (CLUSTER_PRESETS_FILE), or none; checked at start-up. */
export function loadClusterPresets(file: string | undefined): ClusterPresets {
  if (!file) return emptyClusterPresets;
  return parseClusterPresets(readJsonFile(file, 'cluster presets', 'CLUSTER_PRESETS_FILE'), file);
}
