import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { temporalConnectionOptions } from '../../src/client/temporal-tls.js';
import { loadRuntimeConfig } from '../../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'temporal-tls-'));
const pem = (name: string, body: string): string => {
  const path = join(dir, name);
  writeFileSync(path, `-----BEGIN ${body}-----\nAAAA\n-----END ${body}-----\n`);
  return path;
};
const options = (env: Parameters<typeof loadRuntimeConfig>[0]) => temporalConnectionOptions(loadRuntimeConfig({ TEMPORAL_ADDRESS: 'temporal.example.com:7233', ...env }));

describe('temporalConnectionOptions', () => {
  test('plaintext: the address alone; TEMPORAL_TLS=1: TLS with nothing to override', () => {
    expect(options({})).toEqual({ address: 'temporal.example.com:7233' });
    expect(options({ TEMPORAL_TLS: '1' })).toEqual({ address: 'temporal.example.com:7233', tls: {} });
  });

  test('mTLS: the files read into the SDK\'s TLSConfig', () => {
    const ca = pem('ca.pem', 'CERTIFICATE');
    const crt = pem('client.pem', 'CERTIFICATE');
    const key = pem('client.key', 'PRIVATE KEY');
    expect(options({ TEMPORAL_TLS_CA_FILE: ca, TEMPORAL_TLS_CERT_FILE: crt, TEMPORAL_TLS_KEY_FILE: key, TEMPORAL_TLS_SERVER_NAME: 'frontend.internal' }).tls).toEqual({
      serverNameOverride: 'frontend.internal',
      serverRootCACertificate: Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
      clientCertPair: { crt: Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), key: Buffer.from('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n') },
    });
  });

  test('a missing file, or one that is not PEM, names its variable and never quotes the content', () => {
    const crt = pem('present.pem', 'CERTIFICATE');
    const missing = join(dir, 'missing.key');
    expect(() => options({ TEMPORAL_TLS_CERT_FILE: crt, TEMPORAL_TLS_KEY_FILE: missing }))
      .toThrow(new RegExp(`^Temporal TLS file ${missing} cannot be read \\(set TEMPORAL_TLS_KEY_FILE\\): ENOENT`));
    const notPem = join(dir, 'secret.key');
    writeFileSync(notPem, 'top-secret-key-material');
    let message = '';
    try {
      options({ TEMPORAL_TLS_CERT_FILE: crt, TEMPORAL_TLS_KEY_FILE: notPem });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(`Temporal TLS file ${notPem} (TEMPORAL_TLS_KEY_FILE) is not PEM: no '-----BEGIN' line`);
  });
});
