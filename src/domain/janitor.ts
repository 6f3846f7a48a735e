/** What the janitor sweeps: the namespaced objects a workflow creates, and kernels' own namespaces. */
export type SweptKind = 'Pod' | 'RoleBinding' | 'ServiceAccount' | 'Namespace';
/** Pods first (a driver's executors follow it), the identity next, a namespace last. */
export const sweepOrder: readonly SweptKind[] = ['Pod', 'RoleBinding', 'ServiceAccount', 'Namespace'];

export type OwnerState = 'running' | 'closed' | 'missing';

/** An object carrying our managed-by label, as listed on a cluster. */
export interface LabelledObject {
  kind: SweptKind;
  namespace?: string;
  name: string;
  /** Our workflow-id annotation; an object without it is never touched. */
  workflowId?: string;
  /** Our kind label: spark-job, kernel. */
  computeKind?: string;
  /** Our created-namespace label, on namespaces. */
  createdNamespace: boolean;
  /** Epoch ms of its creation. */
  createdAt: number;
}

export interface RemovedObject {
  cluster: string;
  kind: SweptKind;
  namespace?: string;
  name: string;
  workflowId: string;
  owner: Exclude<OwnerState, 'running'>;
}

export interface JanitorInput {
  /** Objects younger than this are left alone, whatever their owner's state. */
  graceSeconds: number;
}

export interface JanitorReport {
  startedAt: string;
  finishedAt?: string;
  clusters: string[];
  /** Labelled objects seen. */
  checked: number;
  removed: RemovedObject[];
  /** A cluster that could not be swept this time, with why. */
  failures: string[];
}

/**
 * The objects to remove, in `sweepOrder`: those whose owning workflow has ended or never existed,
 * older than the grace period. Namespaces only when we created them for one kernel (a per-user
 * or per-team Spark namespace is shared and outlives its jobs, as after a normal end) and when no
 * object of a running workflow is in them.
 */
export function objectsToRemove(objects: LabelledObject[], owners: Record<string, OwnerState>, now: number, graceMs: number): LabelledObject[] {
  const ownerOf = (object: LabelledObject): OwnerState | undefined => (object.workflowId ? owners[object.workflowId] : undefined);
  const busyNamespaces = new Set(objects.filter((object) => ownerOf(object) === 'running' && object.namespace).map((object) => object.namespace));
  return objects
    .filter((object) => {
      const owner = ownerOf(object);
      if (owner === undefined || owner === 'running' || now - object.createdAt < graceMs) return false;
      return object.kind !== 'Namespace' || (object.createdNamespace && object.computeKind === 'kernel' && !busyNamespaces.has(object.name));
    })
    .sort((a, b) => sweepOrder.indexOf(a.kind) - sweepOrder.indexOf(b.kind));
}

/** One schedule per task queue: the workers of a queue sweep the clusters they serve. */
export const janitorScheduleId = (taskQueue: string): string => `janitor-${taskQueue}`;
