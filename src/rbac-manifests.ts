import type { KubernetesObject, V1ClusterRole } from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { kernelConnectionsClusterRole, kernelControllerClusterRole } from './domain/kernel-pod.js';
import { sparkDriverClusterRole } from './domain/spark-job.js';

/**
 * deploy/rbac: what an administrator applies, and the one source of the ClusterRoles the
 * orchestrator binds. This file sits one level below the repository root both as source and
 * compiled, so the directory is found from either (the Docker image copies it beside dist/).
 */
export const rbacManifestsDir = fileURLToPath(new URL('../deploy/rbac/', import.meta.url));

/** The ClusterRoles the orchestrator binds per namespace: a Spark job's, a kernel's, and its own on a kernel's connection. */
export const workloadClusterRoleNames = [sparkDriverClusterRole, kernelControllerClusterRole, kernelConnectionsClusterRole] as const;

export class RbacManifestError extends Error {
  override readonly name = 'RbacManifestError';
}

function readManifestFile(file: string): KubernetesObject[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new RbacManifestError(`cannot read ${file} (${(error as Error).message}): the orchestrator needs deploy/rbac beside its code`);
  }
  return parseAllDocuments(text).map((document, index) => {
    const [problem] = document.errors;
    if (problem) throw new RbacManifestError(`${file}, document ${index + 1}: ${problem.message}`);
    const object = document.toJS() as KubernetesObject | null;
    if (!object?.apiVersion || !object.kind || !object.metadata?.name) {
      throw new RbacManifestError(`${file}, document ${index + 1}: not a Kubernetes object with apiVersion, kind and metadata.name`);
    }
    return object;
  });
}

/** Every object of a directory's YAML files, in the order `kubectl apply -f <dir>/` applies them (files by name). */
export function manifestsIn(dir: string): KubernetesObject[] {
  const files = readdirSync(dir).filter((file) => file.endsWith('.yaml')).sort();
  return files.flatMap((file) => readManifestFile(join(dir, file)));
}

/** Every object of deploy/rbac. */
export const rbacManifests = (): KubernetesObject[] => manifestsIn(rbacManifestsDir);

let workloadRoles: V1ClusterRole[] | undefined;

/** The driver and kernel ClusterRoles as deploy/rbac defines them; read once per process. */
export function workloadClusterRoles(): V1ClusterRole[] {
  workloadRoles ??= (() => {
    const clusterRoles = rbacManifests().filter((object) => object.kind === 'ClusterRole') as V1ClusterRole[];
    return workloadClusterRoleNames.map((name) => {
      const role = clusterRoles.find((candidate) => candidate.metadata?.name === name);
      if (!role) throw new RbacManifestError(`deploy/rbac defines no ClusterRole ${name}`);
      return role;
    });
  })();
  return workloadRoles;
}
