import type { Payload } from '@temporalio/common';
import type { TemporalHandle } from '../../src/client/temporal.js';

/** Every payload anywhere in a history (inputs, results, signals, markers, failures' details). */
function payloadsIn(node: unknown, found: Payload[] = []): Payload[] {
  if (!node || typeof node !== 'object' || node instanceof Uint8Array) return found;
  const candidate = node as Payload;
  if (candidate.data instanceof Uint8Array && candidate.metadata) return [...found, candidate];
  return Object.values(node).reduce<Payload[]>((all, value) => payloadsIn(value, all), found);
}

/**
 * Every text a workflow's history holds: event attributes and headers as stored, and each payload
 * both as stored (encrypted) and decrypted with the payload codec's keys, as an operator could later.
 */
export async function historyText(temporal: TemporalHandle, workflowId: string, runId?: string): Promise<string> {
  const history = await temporal.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const payloads = payloadsIn(history);
  const decoded = await temporal.codec.decode(payloads);
  return [JSON.stringify(history), ...[...payloads, ...decoded].map((payload) => Buffer.from(payload.data ?? []).toString('utf8'))].join('\n');
}
