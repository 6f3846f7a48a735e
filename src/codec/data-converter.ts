import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { siblingModulePath } from '../module-path.js';

const failureConverterPath = siblingModulePath(import.meta.url, './failure-converter');

/** What every Temporal client and worker of the orchestrator converts payloads and failures with. */
export function encryptingDataConverter(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec], failureConverterPath };
}
