import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Search attributes the orchestrator sets on its workflows so operators can filter in the Web UI
 * (e.g. `DssUser="alice" AND ComputeKind="spark-job"`). Registered by the embedded dev server and,
 * in production, by the deployment (docker-compose.yml, deploy/).
 */
export const searchAttributeTypes = {
  DssUser: 'Keyword',
  ComputeKind: 'Keyword',
  K8sNamespace: 'Keyword',
  ClusterName: 'Keyword',
} as const;

export type SearchAttributeName = keyof typeof searchAttributeTypes;

/** Typed keys for setting and reading them. */
export const searchAttributeKeys = {
  dssUser: defineSearchAttributeKey('DssUser', SearchAttributeType.KEYWORD),
  computeKind: defineSearchAttributeKey('ComputeKind', SearchAttributeType.KEYWORD),
  k8sNamespace: defineSearchAttributeKey('K8sNamespace', SearchAttributeType.KEYWORD),
  clusterName: defineSearchAttributeKey('ClusterName', SearchAttributeType.KEYWORD),
};
