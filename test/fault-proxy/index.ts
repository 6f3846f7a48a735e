/**
 * A fault-injecting HTTP proxy between a Kubernetes client (the worker, a test's client-node) and
 * the test stack's API server, for tests of how the orchestrator lives with a failing API:
 *
 *   const proxy = await startFaultProxy({ upstream: info.apiserverUrl, caPem });
 *   writeKubeconfigThroughProxy(proxy.url, token, kubeconfigFile);
 *   proxy.inject({ match: { method: 'DELETE', path: /\/pods\// }, fault: { status: 503 }, times: 2 });
 *   await proxy.outage(60_000);
 *   expect(proxy.stats().statuses[503]).toBe(2);
 *
 * Clients talk plain HTTP to the proxy on loopback and authenticate with a bearer token, which
 * passes through: without TLS between client and proxy there is no client certificate to pass
 * on. Protocol upgrades (exec, attach, port-forward) are not proxied: the API server sees a plain
 * request. A cut (reset fault, outage) reaches client-node as ECONNRESET: a FetchError from an
 * API call, an Error with code 'ECONNRESET' in a Watch's done callback.
 */
export { injectErrorRate } from './error-rate.js';
export { writeKubeconfigThroughProxy } from './kubeconfig.js';
export { seededRandom } from './random.js';
export type { Fault, FaultRule, InjectedRule, RuleMatch } from './rules.js';
export { startFaultProxy } from './server.js';
export type { FaultProxy, FaultProxyOptions, OutageFault } from './server.js';
export type { FaultRecord, ProxyStats } from './stats.js';
