import { computeWorkflowId } from './labels.js';

/** Workflow ids of the kernel family, shared by the API, the sessions and the per-user quota. */
export const kernelWorkflowId = (kernelId: string): string => computeWorkflowId('kernel', kernelId);
