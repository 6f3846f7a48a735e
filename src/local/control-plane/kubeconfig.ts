import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { KeyPair } from './pki.js';

const base64 = (pem: string): string => Buffer.from(pem).toString('base64');

/** How a client proves who it is: a client certificate, or a bearer token (a service account's). */
export type KubeconfigCredential = KeyPair | { token: string };

const userEntry = (credential: KubeconfigCredential): Record<string, string> =>
  'token' in credential
    ? { token: credential.token }
    : { 'client-certificate-data': base64(credential.cert), 'client-key-data': base64(credential.key) };

/** A self-contained kubeconfig (certificates embedded) for one client identity. */
export function renderKubeconfig(server: string, caCert: string, credential: KubeconfigCredential, contextName = 'local'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: contextName, cluster: { server, 'certificate-authority-data': base64(caCert) } }],
    users: [{ name: contextName, user: userEntry(credential) }],
    contexts: [{ name: contextName, context: { cluster: contextName, user: contextName } }],
    'current-context': contextName,
  });
}

/** Written 0600: it holds a private key or a token. */
export function writeKubeconfig(path: string, ...args: Parameters<typeof renderKubeconfig>): void {
  writeFileSync(path, renderKubeconfig(...args), { mode: 0o600 });
}
