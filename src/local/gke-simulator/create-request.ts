import type { protos } from '@google-cloud/container';
import { invalidArgument } from './errors.js';
import { anyLocation, assertGkeName, parseLocationName, type ClusterName } from './resource-names.js';

type Cluster = protos.google.container.v1.ICluster;
type CreateClusterRequest = protos.google.container.v1.ICreateClusterRequest;

export interface ValidCreateRequest {
  name: ClusterName;
  cluster: Cluster;
}

// GCP label rules: keys start with a lower-case letter; keys and values hold lower-case letters,
// digits, '_' and '-', at most 63 characters each, at most 64 labels.
const labelKeyPattern = /^\p{Ll}[\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const labelValuePattern = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;
const maxLabels = 64;

function assertResourceLabels(labels: Record<string, string> | null | undefined): void {
  const entries = Object.entries(labels ?? {});
  if (entries.length > maxLabels) {
    throw invalidArgument(`Invalid value for field "cluster.resource_labels": ${entries.length} labels, at most ${maxLabels} are allowed.`);
  }
  for (const [key, value] of entries) {
    if (!labelKeyPattern.test(key)) {
      throw invalidArgument(`Invalid value for field "cluster.resource_labels": key "${key}" must start with a lower-case letter and hold at most 63 lower-case letters, digits, '_' or '-'.`);
    }
    if (!labelValuePattern.test(value)) {
      throw invalidArgument(`Invalid value for field "cluster.resource_labels": the value of "${key}" ("${value}") must hold at most 63 lower-case letters, digits, '_' or '-'.`);
    }
  }
}

function assertNodes(cluster: Cluster): void {
  const nodePools = cluster.nodePools ?? [];
  const initialNodeCount = Number(cluster.initialNodeCount ?? 0);
  if (nodePools.length > 0 && initialNodeCount !== 0) {
    throw invalidArgument('Cluster.initial_node_count and Cluster.node_pools are mutually exclusive: set one of them.');
  }
  if (nodePools.length === 0 && initialNodeCount <= 0) {
    throw invalidArgument('Cluster.initial_node_count must be greater than zero, or Cluster.node_pools must hold at least one node pool.');
  }
  const seen = new Set<string>();
  nodePools.forEach((pool, index) => {
    const name = assertGkeName(`cluster.node_pools[${index}].name`, pool.name);
    if (seen.has(name)) throw invalidArgument(`Invalid value for field "cluster.node_pools[${index}].name": "${name}" is used by another node pool of the cluster.`);
    seen.add(name);
    if (Number(pool.initialNodeCount ?? 0) < 0) {
      throw invalidArgument(`Invalid value for field "cluster.node_pools[${index}].initial_node_count": must not be negative.`);
    }
  });
}

/** The essential checks GKE makes before it accepts a CreateCluster. */
export function validateCreateRequest(request: CreateClusterRequest): ValidCreateRequest {
  const location = parseLocationName('parent', request.parent);
  if (location.location === anyLocation) throw invalidArgument('Invalid value for field "parent": a cluster is created in one location, not "-".');
  const cluster = request.cluster;
  if (!cluster) throw invalidArgument('Required field "cluster" is not set.');
  const clusterName = assertGkeName('cluster.name', cluster.name);
  assertNodes(cluster);
  assertResourceLabels(cluster.resourceLabels);
  return { name: { ...location, cluster: clusterName }, cluster };
}
