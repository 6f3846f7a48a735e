import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bridgeAddress, nodeName } from '../node/settings.js';
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
  // The real node's components, each with the identity its bootstrap role (or ours) expects.
  kubelet: `/O=system:nodes/CN=system:node:${nodeName}`,
  kubeProxy: '/CN=system:kube-proxy',
  coredns: '/CN=system:coredns',
  /** The API server towards kubelets (logs, exec), bound to system:kubelet-api-admin. */
  apiserverKubeletClient: '/CN=kube-apiserver-kubelet-client',
} as const;

export type ClientName = keyof typeof clientSubjects;

export interface ClusterPki {
  /** Directory holding the files, for component flags (ca.crt, apiserver.crt, sa.key, …). */
  dir: string;
  caCert: string;
  serving: KeyPair;
  /** The real node's kubelet serves this one. */
  kubeletServing: KeyPair;
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
  issueSignedCertificates(dir, requests);
}

/** Certificates signed by the CA already in `dir` (`ca.crt`, `ca.key`). */
export function issueSignedCertificates(dir: string, requests: Omit<CertificateRequests, 'ca'>): void {
  for (const [name, { subject, names }] of Object.entries(requests.serving)) {
    issue(dir, name, subject, `keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${names.join(',')}\n`);
  }
  for (const [name, subject] of Object.entries(requests.clients)) {
    issue(dir, name, subject, 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  }
}

const servingCertificates = {
  apiserver: { subject: '/CN=kube-apiserver', names: servingNames },
  kubeletServing: { subject: `/CN=${nodeName}`, names: [`DNS:${nodeName}`, `IP:${bridgeAddress}`] },
};

function generate(dir: string): void {
  issueCertificates(dir, { ca: 'compute-orchestrator-local-ca', serving: {}, clients: {} });
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'], dir);
  openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  writeFileSync(join(dir, '.complete'), '');
}

/** Certificates a state directory made by an earlier version lacks, signed by its CA. */
function issueMissing(dir: string): void {
  const missing = (name: string): boolean => !existsSync(join(dir, `${name}.crt`));
  issueSignedCertificates(dir, {
    serving: Object.fromEntries(Object.entries(servingCertificates).filter(([name]) => missing(name))),
    clients: Object.fromEntries(Object.entries(clientSubjects).filter(([name]) => missing(name))),
  });
}

/**
 * The CA, serving certificates, client certificates and service-account signing key of the local
 * control plane. Made once per state directory and reused, so kubeconfigs and issued tokens
 * stay valid across restarts.
 */
export function ensurePki(dir: string): ClusterPki {
  if (!existsSync(join(dir, '.complete'))) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    generate(dir);
  }
  issueMissing(dir);
  const read = (file: string): string => readFileSync(join(dir, file), 'utf8');
  const pair = (name: string): KeyPair => ({ cert: read(`${name}.crt`), key: read(`${name}.key`) });
  return {
    dir,
    caCert: read('ca.crt'),
    serving: pair('apiserver'),
    kubeletServing: pair('kubeletServing'),
    serviceAccountKey: read('sa.key'),
    serviceAccountPublicKey: read('sa.pub'),
    clients: Object.fromEntries(Object.keys(clientSubjects).map((name) => [name, pair(name)])) as Record<ClientName, KeyPair>,
  };
}
