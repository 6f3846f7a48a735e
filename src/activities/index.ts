/** Dependencies every activity factory receives from the worker bootstrap. */
export interface ActivityDeps {
  /** Admin kubeconfig of the cluster named `local` (the embedded control plane), if any. */
  localKubeconfig?: string;
}

/** The activities the worker registers, bound to their dependencies. */
export function createActivities(_deps: ActivityDeps): Record<string, (...args: never[]) => Promise<unknown>> {
  return {};
}
