import type { TLSConfig } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import type { ConfigVariable, RuntimeConfig } from '../config.js';

export type TemporalConnectionConfig = Pick<RuntimeConfig, 'temporalAddress' | 'temporalTls'>;

/**
 * A PEM file of TEMPORAL_TLS*. The messages name the variable and the path, never the content: a
 * key must not reach a log.
 */
function readPem(path: string, variable: ConfigVariable): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (error) {
    throw new Error(`Temporal TLS file ${path} cannot be read (set ${variable}): ${(error as Error).message}`);
  }
  // The SDK's own error for a file that is not PEM does not say which file it was.
  if (!pem.includes('-----BEGIN ')) throw new Error(`Temporal TLS file ${path} (${variable}) is not PEM: no '-----BEGIN' line`);
  return pem;
}

/**
 * The address and TLS options of every connection to Temporal: the client's (`Connection.connect`)
 * and the worker's (`NativeConnection.connect`) take the same. Reads the files, so call it at
 * start-up; `tls: {}` is TLS verified by the system's CAs.
 */
export function temporalConnectionOptions(config: TemporalConnectionConfig): { address: string; tls?: TLSConfig } {
  const tls = config.temporalTls;
  if (!tls) return { address: config.temporalAddress };
  return {
    address: config.temporalAddress,
    tls: {
      ...(tls.serverName !== undefined ? { serverNameOverride: tls.serverName } : {}),
      ...(tls.caFile !== undefined ? { serverRootCACertificate: readPem(tls.caFile, 'TEMPORAL_TLS_CA_FILE') } : {}),
      ...(tls.clientCert ? {
        clientCertPair: { crt: readPem(tls.clientCert.certFile, 'TEMPORAL_TLS_CERT_FILE'), key: readPem(tls.clientCert.keyFile, 'TEMPORAL_TLS_KEY_FILE') },
      } : {}),
    },
  };
}
