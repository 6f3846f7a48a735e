import type { KubernetesObject } from '@kubernetes/client-node';
import { bridgeAddress } from './settings.js';

const labels = { 'app.kubernetes.io/part-of': 'compute-orchestrator-local-stack' };

const bindToUser = (name: string, clusterRole: string, user: string): KubernetesObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name, labels },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
  subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
} as KubernetesObject);

/**
 * What the real node needs from the cluster, applied by the administrator: the API server may read
 * logs and exec through the kubelet, CoreDNS may watch Services and their endpoints, and the
 * `kubernetes` Service points at the API relay on the bridge (the API server itself listens on
 * loopback only, and its endpoint reconciler is off).
 */
export function nodeClusterObjects(apiRelayPort: number): KubernetesObject[] {
  return [
    bindToUser('compute-orchestrator-local:apiserver-kubelet-client', 'system:kubelet-api-admin', 'kube-apiserver-kubelet-client'),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'compute-orchestrator-local:coredns', labels },
      rules: [
        { apiGroups: [''], resources: ['services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    } as KubernetesObject,
    bindToUser('compute-orchestrator-local:coredns', 'compute-orchestrator-local:coredns', 'system:coredns'),
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'kubernetes', namespace: 'default',
        labels: { ...labels, 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'compute-orchestrator-local-stack' },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: [bridgeAddress], conditions: { ready: true } }],
      ports: [{ name: 'https', port: apiRelayPort, protocol: 'TCP' }],
    } as KubernetesObject,
  ];
}
