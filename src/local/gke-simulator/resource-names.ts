import { invalidArgument } from './errors.js';

/** A project and a location: `projects/P/locations/L`. */
export interface LocationName {
  project: string;
  location: string;
}

export interface ClusterName extends LocationName {
  cluster: string;
}

export interface NodePoolName extends ClusterName {
  nodePool: string;
}

export interface OperationName extends LocationName {
  operation: string;
}

/** Lists accept `-` as the location, for "every location of the project". */
export const anyLocation = '-';

const apiBase = 'https://container.googleapis.com/v1/';
const locationPattern = /^projects\/([^/]+)\/locations\/([^/]+)$/;
const clusterPattern = /^projects\/([^/]+)\/locations\/([^/]+)\/clusters\/([^/]+)$/;
const nodePoolPattern = /^projects\/([^/]+)\/locations\/([^/]+)\/clusters\/([^/]+)\/nodePools\/([^/]+)$/;
const operationPattern = /^projects\/([^/]+)\/locations\/([^/]+)\/operations\/([^/]+)$/;

// GKE's own rule for cluster and node pool names, and the wording of its error.
const gkeNamePattern = /^[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?$/;
const gkeNameRule = "Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?)' (only alphanumerics and '-' allowed, "
  + 'must start with a letter and end with an alphanumeric, and must be no longer than 40 characters).';

function match(field: string, value: string | null | undefined, pattern: RegExp, shape: string): string[] {
  if (!value) {
    throw invalidArgument(`Required field "${field}" is not set: expected "${shape}" (the simulator does not accept the deprecated project_id/zone fields).`);
  }
  const groups = pattern.exec(value);
  if (!groups) throw invalidArgument(`Invalid value for field "${field}": "${value}". Must be of the form "${shape}".`);
  return groups.slice(1);
}

export function parseLocationName(field: string, value: string | null | undefined): LocationName {
  const [project = '', location = ''] = match(field, value, locationPattern, 'projects/*/locations/*');
  return { project, location };
}

export function parseClusterName(field: string, value: string | null | undefined): ClusterName {
  const [project = '', location = '', cluster = ''] = match(field, value, clusterPattern, 'projects/*/locations/*/clusters/*');
  return { project, location, cluster };
}

export function parseNodePoolName(field: string, value: string | null | undefined): NodePoolName {
  const [project = '', location = '', cluster = '', nodePool = ''] = match(field, value, nodePoolPattern, 'projects/*/locations/*/clusters/*/nodePools/*');
  return { project, location, cluster, nodePool };
}

export function parseOperationName(field: string, value: string | null | undefined): OperationName {
  const [project = '', location = '', operation = ''] = match(field, value, operationPattern, 'projects/*/locations/*/operations/*');
  return { project, location, operation };
}

export function assertGkeName(field: string, value: string | null | undefined): string {
  if (!value) throw invalidArgument(`Required field "${field}" is not set.`);
  if (!gkeNamePattern.test(value)) throw invalidArgument(`Invalid value for field "${field}": "${value}". ${gkeNameRule}`);
  return value;
}

export function locationPath({ project, location }: LocationName): string {
  return `projects/${project}/locations/${location}`;
}

export function clusterPath(name: ClusterName): string {
  return `${locationPath(name)}/clusters/${name.cluster}`;
}

export function operationPath(name: OperationName): string {
  return `${locationPath(name)}/operations/${name.operation}`;
}

/** selfLink and targetLink are URLs of the REST API, as GKE reports them. */
export function apiUrl(path: string): string {
  return apiBase + path;
}

export function inLocation(resource: LocationName, filter: LocationName): boolean {
  return resource.project === filter.project && (filter.location === anyLocation || resource.location === filter.location);
}
