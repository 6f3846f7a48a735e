import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireCommand } from '../prerequisites.js';

export interface KeyPair {
  cert: string;
  key: string;
}

/** Client identities of the local control plane; the subject decides what RBAC grants. */
const clientSubjects = {
  admin: '/O=system:masters/CN=compute-orchestrator-admin',
  controllerManager: '/CN=system:kube-controller-manager',
  scheduler: '/CN=system:kube-scheduler',
  kwok: '/O=system:masters/CN=kwok',
} as const;

export type ClientName = keyof typeof clientSubjects;

export interface ClusterPki {
  /** Directory holding the files, for component flags (ca.crt, apiserver.crt, sa.key, …). */
  dir: string;
  caCert: string;
  serving: KeyPair;
  serviceAccountKey: string;
  serviceAccountPublicKey: string;
  clients: Record<ClientName, KeyPair>;
}

const servingNames = [
  'DNS:localhost', 'IP:127.0.0.1', 'IP:10.96.0.1', 'DNS:kubernetes', 'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local',
];

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function issue(dir: string, name: string, subject: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '3650', '-out', `${name}.crt`, '-extfile', `${name}.ext`], dir);
}

/** What issueCertificates makes, each `<name>.crt` and `<name>.key` beside `ca.crt`. */
export interface CertificateRequests {
  /** Common name of the new CA. */
  ca: string;
  /** Serving certificates: their subject and subjectAltNames (`DNS:…`, `IP:…`). */
  serving: Record<string, { subject: string; names: string[] }>;
  /** Client certificates: their subject. */
  clients: Record<string, string>;
}

/** A new CA in `dir` (which must exist) and the certificates it signs, by openssl. */
export function issueCertificates(dir: string, requests: CertificateRequests): void {
  requireCommand('openssl', "OpenSSL (Debian: 'apt-get install openssl')");
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650',
    '-subj', `/CN=${requests.ca}`, '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  for (const [name, { subject, names }] of Object.entries(requests.serving)) {
    issue(dir, name, subject, `keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${names.join(',')}\n`);
  }
  for (const [name, subject] of Object.entries(requests.clients)) {
    issue(dir, name, subject, 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  }
}

function generate(dir: string): void {
  issueCertificates(dir, { ca: 'compute-orchestrator-local-ca', serving: { apiserver: { subject: '/CN=kube-apiserver', names: servingNames } }, clients: clientSubjects });
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'], dir);
  openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  writeFileSync(join(dir, '.complete'), '');
}

/**
 * The CA, serving certificate, client certificates and service-account signing key of the local
 * control plane. Made once per state directory and reused, so kubeconfigs and issued tokens
 * stay valid across restarts.
 */
export function ensurePki(dir: string): ClusterPki {
  if (!existsSync(join(dir, '.complete'))) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    generate(dir);
  }
  const read = (file: string): string => readFileSync(join(dir, file), 'utf8');
  const pair = (name: string): KeyPair => ({ cert: read(`${name}.crt`), key: read(`${name}.key`) });
  return {
    dir,
    caCert: read('ca.crt'),
    serving: pair('apiserver'),
    serviceAccountKey: read('sa.key'),
    serviceAccountPublicKey: read('sa.pub'),
    clients: {
      admin: pair('admin'),
      controllerManager: pair('controllerManager'),
      scheduler: pair('scheduler'),
      kwok: pair('kwok'),
    },
  };
}

