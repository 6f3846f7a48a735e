import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { KeyPair } from './pki.js';

const base64 = (pem: string): string => Buffer.from(pem).toString('base64');

/** A self-contained kubeconfig (certificates embedded) for one client identity. */
export function renderKubeconfig(server: string, caCert: string, client: KeyPair, contextName = 'local'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: contextName, cluster: { server, 'certificate-authority-data': base64(caCert) } }],
    users: [{ name: contextName, user: { 'client-certificate-data': base64(client.cert), 'client-key-data': base64(client.key) } }],
    contexts: [{ name: contextName, context: { cluster: contextName, user: contextName } }],
    'current-context': contextName,
  });
}

export function writeKubeconfig(path: string, ...args: Parameters<typeof renderKubeconfig>): void {
  writeFileSync(path, renderKubeconfig(...args), { mode: 0o600 });
}
