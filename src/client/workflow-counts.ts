import type { Client } from '@temporalio/client';
import { computeKinds, type ComputeKind } from '../domain/labels.js';
import { buildListQuery, executionStatuses } from '../domain/visibility-query.js';

export interface WorkflowCount {
  kind: ComputeKind;
  status: string;
  count: number;
}

/**
 * Jobs, kernels and clusters of one task queue by ExecutionStatus: one visibility count per kind,
 * since Temporal groups by ExecutionStatus only. Every status is present, zero when none, so a
 * series never vanishes when the last of its workflows changes status.
 */
export async function countWorkflows(client: Client, taskQueue: string): Promise<WorkflowCount[]> {
  const perKind = await Promise.all(computeKinds.map(async (kind) => {
    const counted = await client.workflow.count(`${buildListQuery({ kind, taskQueue })} GROUP BY ExecutionStatus`);
    const byStatus = new Map(counted.groups.map((group) => [String(group.groupValues[0]), group.count]));
    return executionStatuses.map((status) => ({ kind, status, count: byStatus.get(status) ?? 0 }));
  }));
  return perKind.flat();
}
