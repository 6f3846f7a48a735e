import { Client, Connection } from '@temporalio/client';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadRuntimeConfig } from '../config.js';
import { isMain } from '../process-lifecycle.js';
import type { Api } from './api-types.js';
import { buildApi } from './app.js';
import { TokenRegistry } from './auth.js';
import { apiDeps } from './deps.js';

/** The committed copy, from which clients (the DSS plugin's) are written or generated. */
export const openapiDocumentFile = fileURLToPath(new URL('../../openapi/compute-orchestrator.json', import.meta.url));

const noTemporal = async (): Promise<never> => {
  throw new Error('this API was built without Temporal, to describe itself');
};

/**
 * The API with the default configuration and a Temporal connection that never connects: enough to
 * route, authenticate and validate (the document, and tests of what happens before a handler calls
 * Temporal), with nothing to start first. The environment is not read, so the document is the same
 * on every machine.
 */
export async function apiWithoutTemporal(tokens = new TokenRegistry({ tokens: [] })): Promise<Api> {
  const config = loadRuntimeConfig({});
  const connection = Connection.lazy({ address: config.temporalAddress });
  const temporal = { client: new Client({ connection }), connection, codec: { encode: noTemporal, decode: noTemporal }, close: () => connection.close() };
  const api = await buildApi(apiDeps(config, temporal, tokens, pino({ level: 'silent' })));
  api.addHook('onClose', () => temporal.close());
  await api.ready();
  return api;
}

/** The document as `/openapi.json` serves it, serialized as committed. */
export async function openapiDocumentText(): Promise<string> {
  const api = await apiWithoutTemporal();
  try {
    return `${JSON.stringify(api.swagger(), null, 2)}\n`;
  } finally {
    await api.close();
  }
}

if (isMain(import.meta.url)) {
  mkdirSync(dirname(openapiDocumentFile), { recursive: true });
  writeFileSync(openapiDocumentFile, await openapiDocumentText());
  console.log(`wrote ${openapiDocumentFile}`);
}
