import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

/**
 * Writes a kubeconfig (for `KubeConfig.loadFromFile`) whose client reaches the API server through
 * the proxy at `proxyUrl`, authenticated by `token` alone. client-node refuses an http:// server
 * unless `insecure-skip-tls-verify` is set ("HTTP protocol is not allowed when skipTLSVerify is
 * not set or false"); there is no TLS between client and proxy to verify, and the proxy verifies
 * the API server's.
 */
export function writeKubeconfigThroughProxy(proxyUrl: string, token: string, file: string): void {
  const name = 'fault-proxy';
  writeFileSync(file, stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: proxyUrl, 'insecure-skip-tls-verify': true } }],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  }), { mode: 0o600 });
}
