import { describe, expect, test } from '@jest/globals';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AesGcmCodec } from '../../src/codec/aes-gcm-codec.js';
import { encryptingDataConverter } from '../../src/codec/data-converter.js';
import { loadCodecKeys } from '../../src/codec/keys.js';
import { workerInterceptors } from '../../src/worker.js';

const dir = fileURLToPath(new URL('../replay/histories/', import.meta.url));
const workflowsPath = fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url));
const keys = loadCodecKeys(fileURLToPath(new URL('../replay/codec-keys.json', import.meta.url)));

/**
 * Safe upgrades: every history recorded from a real run (test/replay/record-histories.ts) must
 * replay on today's workflow code. A change that would break running workflows fails here;
 * changes that must differ go behind `patched()`.
 */
describe('recorded workflow histories replay on the current workflow code', () => {
  const files = readdirSync(dir).filter((file) => file.endsWith('.binpb')).sort();
  const histories = files.map((file) => ({ workflowId: file, history: proto.temporal.api.history.v1.History.decode(readFileSync(`${dir}${file}`)) }));

  test('there is a history of every workflow type the worker registers', async () => {
    const types = new Set(histories.map(({ history }) => history.events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name));
    const registered = Object.keys(await import('../../src/workflows/index.js'));
    expect([...types].sort()).toEqual(registered.sort());
  });

  test('each replays without a nondeterminism error', async () => {
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath, interceptors: { workflowModules: workerInterceptors.workflowModules }, dataConverter: encryptingDataConverter(new AesGcmCodec(keys)), replayName: 'fixtures' }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(histories.length).toBeGreaterThanOrEqual(8);
  }, 120_000);
});
