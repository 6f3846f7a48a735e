import { Client, Connection } from '@temporalio/client';
import type { RuntimeConfig } from '../config.js';

export interface TemporalHandle {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

/** The one place that opens a Temporal client; API and CLI go through it. */
export async function connectTemporal(config: Pick<RuntimeConfig, 'temporalAddress' | 'temporalNamespace'>): Promise<TemporalHandle> {
  const connection = await Connection.connect({ address: config.temporalAddress, connectTimeout: 5_000 });
  const client = new Client({ connection, namespace: config.temporalNamespace });
  return { client, connection, close: () => connection.close() };
}
