/**
 * Operators' cluster presets (CLUSTER_PRESETS_FILE): how to reach GKE, which node pools a
 * cluster may ask for, and which existing clusters are attached by kubeconfig. Pure, so that
 * workflows may use the naming helpers too.
 */
import { validationError } from './errors.js';
import { hostPortPattern, splitHostPort } from './host-port.js';
import { managedByValue } from './labels.js';
import { toDnsLabel } from './naming.js';

export type GkeCredentials =
  | { type: 'application-default' }
  | { type: 'key-file'; path: string }
  | { type: 'access-token-file'; path: string };

export interface GkeConnection {
  project: string;
  /** A region (regional cluster) or a zone (zonal cluster). */
  location: string;
  credentials: GkeCredentials;
  /** host:port of a GKE API other than Google's: the local simulator (plain-text gRPC). */
  apiEndpoint?: string;
}

/** Exactly one of `nodeCount` and `autoscaling`. GKE counts nodes per zone of the location. */
export interface NodePoolPreset {
  machineType: string;
  nodeCount?: number;
  autoscaling?: { minNodes: number; maxNodes: number };
  diskSizeGb?: number;
}

export interface StaticClusterPreset {
  kubeconfig: string;
  context?: string;
}

export interface ClusterPresets {
  gkeConnections: Record<string, GkeConnection>;
  nodePools: Record<string, NodePoolPreset>;
  staticClusters: Record<string, StaticClusterPreset>;
}

export const emptyClusterPresets: ClusterPresets = { gkeConnections: {}, nodePools: {}, staticClusters: {} };

const dnsLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// Node pool presets name GKE node pools, whose names must start with a letter and are at most 40 long.
const gkeName = /^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/;
const projectId = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const location = /^[a-z]+-[a-z]+[0-9]+(-[a-z])?$/;
const machineType = /^[a-z0-9]+(-[a-z0-9]+)*$/;

type Json = Record<string, unknown>;

/** Reads one presets file, failing on the first problem with the dotted path of its field. */
class Reader {
  constructor(private readonly source: string) {}

  /** `field` '' is the file itself. */
  fail(field: string, problem: string): never {
    throw validationError(field, `cluster presets ${this.source}: ${field || 'the file'} ${problem}`);
  }

  object(value: unknown, field: string, allowed: readonly string[]): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, 'must be an object');
    const unknown = Object.keys(value).filter((key) => !allowed.includes(key));
    if (unknown.length > 0) {
      this.fail(field, `has unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((key) => `'${key}'`).join(', ')} (allowed: ${allowed.join(', ')})`);
    }
    return value as Json;
  }

  /** A map from preset names to presets, each read by `read`. */
  named<T>(value: unknown, field: string, name: RegExp, nameRule: string, read: (entry: unknown, field: string) => T): Record<string, T> {
    if (value === undefined) return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, 'must be an object of named presets');
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => {
      if (!name.test(key)) this.fail(`${field}.${key}`, `is not a valid preset name: ${nameRule}`);
      return [key, read(entry, `${field}.${key}`)];
    }));
  }

  string(value: unknown, field: string, pattern?: RegExp, rule?: string): string {
    if (typeof value !== 'string' || value.length === 0) this.fail(field, 'must be a non-empty string');
    if (pattern && !pattern.test(value)) this.fail(field, `must be ${rule}, got '${value}'`);
    return value;
  }

  integer(value: unknown, field: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
    return value;
  }
}

function readCredentials(reader: Reader, value: unknown, field: string): GkeCredentials {
  const { type, path } = reader.object(value, field, ['type', 'path']);
  if (type === 'application-default') {
    if (path !== undefined) reader.fail(`${field}.path`, 'has no use with application-default credentials');
    return { type };
  }
  if (type === 'key-file' || type === 'access-token-file') return { type, path: reader.string(path, `${field}.path`) };
  return reader.fail(`${field}.type`, `must be one of application-default, key-file, access-token-file, got ${JSON.stringify(type)}`);
}

function readGkeConnection(reader: Reader, value: unknown, field: string): GkeConnection {
  const entry = reader.object(value, field, ['project', 'location', 'credentials', 'apiEndpoint']);
  const connection: GkeConnection = {
    project: reader.string(entry.project, `${field}.project`, projectId,
      'a GCP project id (6 to 30 lower-case letters, digits or hyphens, starting with a letter, not ending with a hyphen)'),
    location: reader.string(entry.location, `${field}.location`, location, 'a GCP region or zone such as europe-west1 or europe-west1-b'),
    credentials: readCredentials(reader, entry.credentials, `${field}.credentials`),
  };
  if (entry.apiEndpoint !== undefined) {
    const endpoint = reader.string(entry.apiEndpoint, `${field}.apiEndpoint`, hostPortPattern, 'host:port');
    const port = splitHostPort(endpoint)!.port;
    if (port < 1 || port > 65535) reader.fail(`${field}.apiEndpoint`, `must have a port from 1 to 65535, got ${port}`);
    connection.apiEndpoint = endpoint;
  }
  return connection;
}

function readNodePool(reader: Reader, value: unknown, field: string): NodePoolPreset {
  const entry = reader.object(value, field, ['machineType', 'nodeCount', 'autoscaling', 'diskSizeGb']);
  const pool: NodePoolPreset = {
    machineType: reader.string(entry.machineType, `${field}.machineType`, machineType, 'a Compute Engine machine type such as e2-standard-4'),
  };
  if ((entry.nodeCount === undefined) === (entry.autoscaling === undefined)) reader.fail(field, 'must have exactly one of nodeCount and autoscaling');
  if (entry.nodeCount !== undefined) pool.nodeCount = reader.integer(entry.nodeCount, `${field}.nodeCount`, 1, 1000);
  if (entry.autoscaling !== undefined) {
    const scaling = reader.object(entry.autoscaling, `${field}.autoscaling`, ['minNodes', 'maxNodes']);
    const minNodes = reader.integer(scaling.minNodes, `${field}.autoscaling.minNodes`, 0, 1000);
    const maxNodes = reader.integer(scaling.maxNodes, `${field}.autoscaling.maxNodes`, 1, 1000);
    if (minNodes > maxNodes) reader.fail(`${field}.autoscaling`, `has minNodes ${minNodes} above maxNodes ${maxNodes}`);
    pool.autoscaling = { minNodes, maxNodes };
  }
  if (entry.diskSizeGb !== undefined) pool.diskSizeGb = reader.integer(entry.diskSizeGb, `${field}.diskSizeGb`, 10, 65536);
  return pool;
}

function readStaticCluster(reader: Reader, value: unknown, field: string): StaticClusterPreset {
  const entry = reader.object(value, field, ['kubeconfig', 'context']);
  const cluster: StaticClusterPreset = { kubeconfig: reader.string(entry.kubeconfig, `${field}.kubeconfig`) };
  if (entry.context !== undefined) cluster.context = reader.string(entry.context, `${field}.context`);
  return cluster;
}

/** Checks a parsed presets file (see readJsonFile); every section may be left out. */
export function parseClusterPresets(raw: unknown, source: string): ClusterPresets {
  const reader = new Reader(source);
  const file = reader.object(raw, '', ['gkeConnections', 'nodePools', 'staticClusters']);
  const dnsRule = 'lower-case letters, digits and hyphens, at most 63, starting and ending with a letter or digit';
  return {
    gkeConnections: reader.named(file.gkeConnections, 'gkeConnections', dnsLabel, dnsRule, (entry, field) => readGkeConnection(reader, entry, field)),
    nodePools: reader.named(file.nodePools, 'nodePools', gkeName, 'as GKE names node pools: lower-case letters, digits and hyphens, at most 40, starting with a letter',
      (entry, field) => readNodePool(reader, entry, field)),
    staticClusters: reader.named(file.staticClusters, 'staticClusters', dnsLabel, dnsRule, (entry, field) => readStaticCluster(reader, entry, field)),
  };
}

type GkeLocation = Pick<GkeConnection, 'project' | 'location'>;

export function gkeParent(connection: GkeLocation): string {
  return `projects/${connection.project}/locations/${connection.location}`;
}

export function gkeClusterPath(connection: GkeLocation, clusterName: string): string {
  return `${gkeParent(connection)}/clusters/${clusterName}`;
}

/** GKE reports an operation's bare id; it is read back under the location it runs in. */
export function gkeOperationPath(connection: GkeLocation, operationId: string): string {
  return `${gkeParent(connection)}/operations/${operationId}`;
}

/**
 * GCP resource labels marking a cluster as created by the workflow `workflowId`. GCP label values
 * allow lower-case letters, digits, '_' and '-' up to 63 characters: a DNS label fits, and the
 * hash toDnsLabel adds to escaped ids keeps two workflows from sharing an owner value.
 */
export function ownerResourceLabels(workflowId: string): { 'managed-by': string; owner: string } {
  return { 'managed-by': managedByValue, owner: toDnsLabel(workflowId) };
}

export function isOwnedBy(labels: Record<string, string> | null | undefined, workflowId: string): boolean {
  const ours = ownerResourceLabels(workflowId);
  return labels?.['managed-by'] === ours['managed-by'] && labels.owner === ours.owner;
}
