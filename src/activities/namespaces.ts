import { CoreV1Api } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { createdNamespaceLabel, ownershipMarks, type ComputeKind } from '../domain/labels.js';
import { asFailure, isConflict, isNotFound } from './kubernetes/api-errors.js';
import type { ClusterConnector } from './kubernetes/cluster-connector.js';

export interface NamespaceRequest {
  cluster: string;
  namespace: string;
  autoCreate: boolean;
  kind: ComputeKind;
  workflowId: string;
}

export function namespaceActivities(clusters: ClusterConnector) {
  return {
    /**
     * The target namespace exists afterwards. Created (and marked as created by us) only with
     * auto-create; a per-user or per-team namespace outlives the job that created it.
     */
    async ensureNamespace(request: NamespaceRequest): Promise<{ created: boolean }> {
      const core = (await clusters.access(request.cluster)).config.makeApiClient(CoreV1Api);
      try {
        await core.readNamespace({ name: request.namespace });
        return { created: false };
      } catch (error) {
        if (!isNotFound(error)) throw asFailure(error, `read namespace ${request.namespace}`);
      }
      if (!request.autoCreate) {
        throw ApplicationFailure.nonRetryable(`namespace '${request.namespace}' does not exist and auto-create is off`, 'NamespaceNotFound');
      }
      const marks = ownershipMarks(request.kind, request.workflowId);
      try {
        await core.createNamespace({
          body: { metadata: { name: request.namespace, labels: { ...marks.labels, [createdNamespaceLabel]: 'true' }, annotations: marks.annotations } },
        });
        return { created: true };
      } catch (error) {
        // Another job of the same user created it a moment ago: fine, it is shared.
        if (isConflict(error)) return { created: false };
        throw asFailure(error, `create namespace ${request.namespace}`);
      }
    },
  };
}
