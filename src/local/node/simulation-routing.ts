import type { KubernetesObject } from '@kubernetes/client-node';

/**
 * Pods land on the real node unless they ask for a simulated lifecycle: the kwok node carries
 * this taint, and an admission policy gives pods that ask (an annotation
 * `compute-orchestrator/simulate-*`, or an image of `simulate.invalid/`) the toleration and a
 * node selector for it. Neither the orchestrator nor its users need to know: tests and benchmarks
 * ask through what they already set.
 */
export const simulatedTaint = { key: 'compute-orchestrator/simulated', value: 'true', effect: 'NoSchedule' };

const asksForSimulation = [
  "(has(object.metadata.annotations) && object.metadata.annotations.exists(k, k.startsWith('compute-orchestrator/simulate-')))",
  "object.spec.containers.exists(c, c.image.startsWith('simulate.invalid/'))",
].join(' || ');

const toleration = `Object.spec.tolerations{key: '${simulatedTaint.key}', operator: 'Equal', value: '${simulatedTaint.value}', effect: '${simulatedTaint.effect}'}`;

export const simulationPolicyName = 'compute-orchestrator-local-simulated-pods';

export function simulationRoutingObjects(): KubernetesObject[] {
  const labels = { 'app.kubernetes.io/part-of': 'compute-orchestrator-local-stack' };
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1beta1',
      kind: 'MutatingAdmissionPolicy',
      metadata: { name: simulationPolicyName, labels },
      spec: {
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] },
        matchConditions: [{ name: 'asks-for-simulation', expression: asksForSimulation }],
        failurePolicy: 'Fail',
        reinvocationPolicy: 'Never',
        mutations: [
          {
            patchType: 'JSONPatch',
            jsonPatch: {
              expression: `has(object.spec.tolerations)
                ? [JSONPatch{op: 'add', path: '/spec/tolerations/-', value: ${toleration}}]
                : [JSONPatch{op: 'add', path: '/spec/tolerations', value: [${toleration}]}]`,
            },
          },
          {
            patchType: 'JSONPatch',
            jsonPatch: {
              expression: `has(object.spec.nodeSelector)
                ? [JSONPatch{op: 'add', path: '/spec/nodeSelector/type', value: 'kwok'}]
                : [JSONPatch{op: 'add', path: '/spec/nodeSelector', value: {'type': 'kwok'}}]`,
            },
          },
        ],
      },
    } as KubernetesObject,
    {
      apiVersion: 'admissionregistration.k8s.io/v1beta1',
      kind: 'MutatingAdmissionPolicyBinding',
      metadata: { name: simulationPolicyName, labels },
      spec: { policyName: simulationPolicyName },
    } as KubernetesObject,
  ];
}
