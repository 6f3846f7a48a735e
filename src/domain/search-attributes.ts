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
