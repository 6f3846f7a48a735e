import { KubeConfig } from '@kubernetes/client-node';
import { readStackInfo } from './stack-info.js';

/** Admin client configuration for the test stack's cluster. */
export function adminKubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(readStackInfo().kubeconfig);
  return config;
}

/** A name no earlier test run used, for objects a test creates. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

/** Polls `read` until `accept` holds; returns the accepted value. */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read().catch(() => undefined);
    if (last !== undefined && accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`condition not met within ${timeoutMs}ms; last value: ${JSON.stringify(last)?.slice(0, 2000)}`);
}

/** The HTTP status a Kubernetes call ends with: 200 when it succeeds, the API's code otherwise. */
export function statusOf(call: Promise<unknown>): Promise<number> {
  return call.then(() => 200, (error: { code?: number }) => error.code ?? -1);
}

/** A client of the test stack's cluster that authenticates with a bearer token only. */
export function kubeConfigWithToken(token: string): KubeConfig {
  const admin = adminKubeConfig();
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'local', server: readStackInfo().apiserverUrl, caData: admin.getCurrentCluster()!.caData }],
    users: [{ name: 'token', token }],
    contexts: [{ name: 'local', cluster: 'local', user: 'token' }],
    currentContext: 'local',
  });
  return config;
}
