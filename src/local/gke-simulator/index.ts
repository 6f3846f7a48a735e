/**
 * A local fake of the GKE API for tests and the embedded stack. Point the real client at it with
 *
 *   new v1.ClusterManagerClient({
 *     apiEndpoint: '127.0.0.1', port, sslCreds: credentials.createInsecure(), universeDomain: 'googleapis.com',
 *   })
 *
 * `sslCreds` replaces Google credentials on the channel, so no token is ever asked for. Without
 * an explicit `universeDomain`, gax still compares the default one with that of the Application
 * Default Credentials, and google-auth-library goes looking for them: off GCE that probes the
 * metadata server (up to 3 s) and prints a MetadataLookupWarning.
 *
 * As in GKE, an Operation's `name` is its bare id: read it back with
 * `getOperation({ name: 'projects/P/locations/L/operations/' + operation.name })`.
 */
export { startGkeSimulator } from './server.js';
export type { CallRecord, GkeSimulator, GkeSimulatorOptions, SimulatorLogger } from './server.js';
export type { SimulatedMethod } from './faults.js';
export type { KubernetesApi } from './state.js';
