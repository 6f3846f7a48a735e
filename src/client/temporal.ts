import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { AesGcmCodec } from '../codec/aes-gcm-codec.js';
import { encryptingDataConverter } from '../codec/data-converter.js';
import { loadCodecKeys } from '../codec/keys.js';
import type { RuntimeConfig } from '../config.js';
import { temporalConnectionOptions } from './temporal-tls.js';

export interface TemporalHandle {
  client: Client;
  connection: Connection;
  /** The codec of the client's payloads: the worker and the API's codec endpoint use the same. */
  codec: PayloadCodec;
  close(): Promise<void>;
}

/**
 * The one place that opens a Temporal client; API, CLI and worker go through it. Its payloads are
 * encrypted with the keys of CODEC_KEYS_FILE, which must be readable: there is no clear-text mode.
 * TLS to Temporal as TEMPORAL_TLS* say (src/client/temporal-tls.ts). `lazy`: no call until the
 * first request, for a server that must answer while Temporal is away.
 */
export async function connectTemporal(
  config: Pick<RuntimeConfig, 'temporalAddress' | 'temporalTls' | 'temporalNamespace' | 'codecKeysFile'>, options: { lazy?: boolean } = {},
): Promise<TemporalHandle> {
  const codec = new AesGcmCodec(loadCodecKeys(config.codecKeysFile));
  const connectionOptions = { ...temporalConnectionOptions(config), connectTimeout: 5_000 };
  // Lazy: connected by the first call, so a server started while Temporal is away serves (503s) meanwhile.
  const connection = options.lazy ? Connection.lazy(connectionOptions) : await Connection.connect(connectionOptions);
  const client = new Client({ connection, namespace: config.temporalNamespace, dataConverter: encryptingDataConverter(codec) });
  return { client, connection, codec, close: () => connection.close() };
}
