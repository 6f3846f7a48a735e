import { toDnsLabel } from './naming.js';

/** The marks of DESIGN.md on everything the orchestrator creates; the janitor trusts only these. */
export const managedByLabel = 'app.kubernetes.io/managed-by';
export const managedByValue = 'compute-orchestrator';
export const kindLabel = 'compute-orchestrator/kind';
export const ownerLabel = 'compute-orchestrator/owner';
export const createdNamespaceLabel = 'compute-orchestrator/created-namespace';
export const workflowIdAnnotation = 'compute-orchestrator/workflow-id';

export const computeKinds = ['spark-job', 'kernel', 'cluster'] as const;
export type ComputeKind = (typeof computeKinds)[number];

export interface Marks {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Labels and annotations tying an object to the workflow that owns it. */
export function ownershipMarks(kind: ComputeKind, workflowId: string): Marks {
  return {
    labels: { [managedByLabel]: managedByValue, [kindLabel]: kind, [ownerLabel]: toDnsLabel(workflowId) },
    annotations: { [workflowIdAnnotation]: workflowId },
  };
}

