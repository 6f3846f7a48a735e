import type { SearchAttributeName } from './search-attributes.js';

export interface ListFilter {
  user?: string;
  kind?: string;
  namespace?: string;
  cluster?: string;
  /** Temporal's ExecutionStatus: Running, Completed, Failed, Canceled, Terminated, TimedOut. */
  status?: string;
  taskQueue?: string;
}

export const executionStatuses = ['Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'TimedOut', 'ContinuedAsNew'] as const;

const quote = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** A Temporal visibility query from filters; the same text an operator types in the Web UI. */
export function buildListQuery(filter: ListFilter): string {
  const clauses: string[] = [];
  const attribute = (name: SearchAttributeName | 'TaskQueue', value: string | undefined): void => {
    if (value !== undefined && value !== '') clauses.push(`${name}=${quote(value)}`);
  };
  attribute('DssUser', filter.user);
  attribute('ComputeKind', filter.kind);
  attribute('K8sNamespace', filter.namespace);
  attribute('ClusterName', filter.cluster);
  attribute('TaskQueue', filter.taskQueue);
  if (filter.status !== undefined) {
    const status = executionStatuses.find((candidate) => candidate.toLowerCase() === filter.status!.toLowerCase());
    if (!status) throw new Error(`status must be one of ${executionStatuses.join(', ')}, got '${filter.status}'`);
    clauses.push(`ExecutionStatus=${quote(status)}`);
  }
  return clauses.join(' AND ');
}
