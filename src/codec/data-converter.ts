import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { siblingModulePath } from '../module-path.js';

/** Also given to the workflow bundler: a prebundled worker takes its failure converter from the bundle, not from its data converter. */
export const failureConverterPath = siblingModulePath(import.meta.url, './failure-converter');

/** What every Temporal client and worker of the orchestrator converts payloads and failures with. */
export function encryptingDataConverter(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec], failureConverterPath };
}
