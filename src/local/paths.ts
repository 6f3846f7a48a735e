import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: this file is two levels below it both as source and compiled. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where `npm start` keeps its state: kubeconfig, API token, logs, SQLite file. */
export const defaultStateDir = join(repoRoot, '.local');

/** Mirrors tools/lib.sh: the cache of built components, shared by every clone. */
export function toolsCacheRoot(): string {
  const base = process.env.COMPUTE_ORCHESTRATOR_CACHE
    ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'compute-orchestrator');
  return join(base, 'tools');
}

export type ToolName = 'temporal' | 'temporal-server' | 'temporal-test-server' | 'kubernetes' | 'kubernetes-node' | 'etcd' | 'kwok' | 'coredns' | 'spark' | 'spark-submitter' | 'compose-check';

const versionKeys: Record<ToolName, string> = {
  temporal: 'TEMPORAL_CLI_VERSION',
  'temporal-server': 'TEMPORAL_SERVER_VERSION',
  'temporal-test-server': 'TEMPORAL_TEST_SERVER_VERSION',
  kubernetes: 'KUBERNETES_VERSION',
  'kubernetes-node': 'KUBERNETES_VERSION',
  etcd: 'ETCD_VERSION',
  kwok: 'KWOK_VERSION',
  coredns: 'COREDNS_VERSION',
  spark: 'SPARK_VERSION',
  'spark-submitter': 'SPARK_SUBMITTER_VERSION',
  // Keyed by the compose-go release it wraps (tools/compose-check).
  'compose-check': 'COMPOSE_GO_VERSION',
};

function pinnedVersions(): Map<string, string> {
  const text = readFileSync(join(repoRoot, 'tools', 'versions.env'), 'utf8');
  const entries = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split('=', 2) as [string, string]);
  return new Map(entries);
}

/** Absolute path of a binary built by the recipe for `tool` at its pinned version. */
export function toolBinary(tool: ToolName, binary: string = tool): string {
  const version = pinnedVersions().get(versionKeys[tool]);
  if (!version) throw new Error(`tools/versions.env has no ${versionKeys[tool]}`);
  return join(toolsCacheRoot(), tool, version, 'bin', binary);
}

/** The worker's Spark launchers as built by tools/ (spark-submit and the submitter), as its environment names them. */
export function localSparkSubmitEnv(): { SPARK_SUBMIT: string; SPARK_SUBMITTER: string } {
  return { SPARK_SUBMIT: toolBinary('spark', 'spark-submit'), SPARK_SUBMITTER: toolBinary('spark-submitter') };
}
