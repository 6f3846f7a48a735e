import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { isGrpcCancelledError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { getEventListeners } from 'node:events';
import { callTemporalUntilStopped } from '../../src/activities/stoppable-temporal-calls.js';
import { startTestServer } from './workflow-environment.js';

let temporal: TestWorkflowEnvironment;

beforeAll(async () => {
  temporal = await startTestServer();
});
afterAll(async () => {
  await temporal?.teardown();
});

describe('callTemporalUntilStopped', () => {
  test('calls made under a stop signal leave no listener on it once they are done', async () => {
    const stop = new AbortController();
    const { connection } = temporal.client;
    const answers = await Promise.all(Array.from({ length: 25 }, () =>
      callTemporalUntilStopped(stop.signal, connection, () => connection.workflowService.getSystemInfo({}))));
    expect(answers).toHaveLength(25);
    expect(answers.every((answer) => answer.capabilities !== undefined)).toBe(true);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  test('stopping cancels a call under way, and work after the stop is not begun', async () => {
    const stop = new AbortController();
    const { client } = temporal;
    // No worker polls this queue: the workflow's result is a long poll that only the stop ends.
    const handle = await client.workflow.start('neverRuns', { taskQueue: `nobody-${Date.now()}`, workflowId: `stoppable-${Date.now()}` });
    try {
      const outcome = callTemporalUntilStopped(stop.signal, client.connection, () => handle.result()).then(() => 'returned', (error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 500));
      stop.abort();
      expect(isGrpcCancelledError(await outcome)).toBe(true);
      let called = false;
      await expect(callTemporalUntilStopped(stop.signal, client.connection, () => { called = true; return handle.describe(); })).rejects.toBe(stop.signal.reason);
      expect(called).toBe(false);
      expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    } finally {
      await handle.terminate();
    }
  });
});
