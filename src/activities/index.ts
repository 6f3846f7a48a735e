import { identityActivities } from './identity.js';
import { kernelActivities } from './kernel-pods.js';
import type { ClusterConnector } from './kubernetes/cluster-connector.js';
import { namespaceActivities } from './namespaces.js';
import { podActivities } from './pods.js';
import { sparkSubmitActivities } from './spark-submit.js';

/** Dependencies every activity receives from the worker bootstrap. */
export interface ActivityDeps {
  clusters: ClusterConnector;
  /** Path of the spark-submit launcher. */
  sparkSubmit: string;
}

/** The activities the worker registers, bound to their dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...namespaceActivities(deps.clusters),
    ...identityActivities(deps.clusters),
    ...podActivities(deps.clusters),
    ...sparkSubmitActivities(deps.clusters, deps.sparkSubmit),
    ...kernelActivities(deps.clusters),
  };
}

export type Activities = ReturnType<typeof createActivities>;
