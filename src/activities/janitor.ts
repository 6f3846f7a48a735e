import { CoreV1Api, RbacAuthorizationV1Api, type V1ObjectMeta } from '@kubernetes/client-node';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { objectsToRemove, type LabelledObject, type RemovedObject, type SweptKind } from '../domain/janitor.js';
import { createdNamespaceLabel, kindLabel, managedByLabel, managedByValue, workflowIdAnnotation } from '../domain/labels.js';
import { computeIdOf } from '../domain/workflow-ids.js';
import { kube } from './kubernetes/api-errors.js';
import type { ClusterConnector } from './kubernetes/cluster-connector.js';
import { deleteIfPresent } from './kubernetes/owned-objects.js';
import { lookUpWorkflowStates } from './workflow-lookup.js';

const ours = `${managedByLabel}=${managedByValue}`;

function labelled(kind: SweptKind, metadata: V1ObjectMeta | undefined): LabelledObject {
  const labels = metadata?.labels ?? {};
  const workflowId = metadata?.annotations?.[workflowIdAnnotation];
  return {
    kind, name: metadata?.name ?? '', ...(metadata?.namespace ? { namespace: metadata.namespace } : {}),
    ...(workflowId ? { workflowId } : {}), ...(labels[kindLabel] ? { computeKind: labels[kindLabel] } : {}),
    createdNamespace: labels[createdNamespaceLabel] === 'true',
    createdAt: metadata?.creationTimestamp ? new Date(metadata.creationTimestamp).getTime() : Date.now(),
  };
}

/**
 * The janitor's side effects: which clusters to sweep, and one sweep of a cluster. A sweep is
 * idempotent (an object already gone counts as removed by whoever removed it), so a retried or
 * overlapping sweep does no harm.
 */
export function janitorActivities(clusters: ClusterConnector, temporal: Client) {
  return {
    /** The built-in clusters and the RUNNING clusters of this task queue's cluster workflows. */
    async janitorClusters(): Promise<string[]> {
      const names = new Set(clusters.names());
      const query = `WorkflowType="cluster" AND ExecutionStatus="Running" AND TaskQueue=${JSON.stringify(Context.current().info.taskQueue)}`;
      for await (const execution of temporal.workflow.list({ query })) {
        const name = computeIdOf('cluster', execution.workflowId);
        if (name) names.add(name);
      }
      return [...names];
    },

    /** Lists every object labelled as ours on `cluster` and removes those whose workflow is over. */
    async sweepCluster({ cluster, graceSeconds }: { cluster: string; graceSeconds: number }): Promise<{ checked: number; removed: RemovedObject[] }> {
      const context = Context.current();
      const { config } = await clusters.access(cluster);
      const core = config.makeApiClient(CoreV1Api);
      const rbac = config.makeApiClient(RbacAuthorizationV1Api);
      const listed = await kube(`list our objects on ${cluster}`, async () => [
        ...(await core.listPodForAllNamespaces({ labelSelector: ours })).items.map((item) => labelled('Pod', item.metadata)),
        ...(await rbac.listRoleBindingForAllNamespaces({ labelSelector: ours })).items.map((item) => labelled('RoleBinding', item.metadata)),
        ...(await core.listServiceAccountForAllNamespaces({ labelSelector: ours })).items.map((item) => labelled('ServiceAccount', item.metadata)),
        ...(await core.listNamespace({ labelSelector: ours })).items.map((item) => labelled('Namespace', item.metadata)),
      ]);
      context.heartbeat({ listed: listed.length });
      const owners = await lookUpWorkflowStates(temporal, new Set(listed.flatMap((object) => (object.workflowId ? [object.workflowId] : []))));
      const removedCounter = context.metricMeter.createCounter('compute_orchestrator_janitor_removed_objects', 'objects', 'Objects the janitor removed, by kind');
      const removed: RemovedObject[] = [];
      for (const object of objectsToRemove(listed, owners, Date.now(), graceSeconds * 1000)) {
        const { kind, namespace = '', name } = object;
        const what = `${kind} ${namespace ? `${namespace}/` : ''}${name} on ${cluster}`;
        await deleteIfPresent(what, () => {
          switch (kind) {
            case 'Pod': return core.deleteNamespacedPod({ name, namespace });
            case 'RoleBinding': return rbac.deleteNamespacedRoleBinding({ name, namespace });
            case 'ServiceAccount': return core.deleteNamespacedServiceAccount({ name, namespace });
            case 'Namespace': return core.deleteNamespace({ name });
          }
        });
        const record: RemovedObject = { cluster, kind, ...(namespace ? { namespace } : {}), name, workflowId: object.workflowId!, owner: owners[object.workflowId!] === 'missing' ? 'missing' : 'closed' };
        removed.push(record);
        removedCounter.add(1, { kind, cluster });
        context.log.info('janitor removed an object whose workflow is over', { ...record });
        context.heartbeat({ removed: removed.length });
      }
      return { checked: listed.length, removed };
    },
  };
}
