import { afterEach, describe, expect, test } from '@jest/globals';
import { serveWorkerHealth, type HealthServer, type WorkerState } from '../../src/worker-health.js';

describe("the worker's health endpoint", () => {
  let server: HealthServer | undefined;
  afterEach(() => server?.close());

  test('200 while every worker is RUNNING; 503 before there are workers, while one drains and once one failed', async () => {
    let states: WorkerState[] = [];
    server = await serveWorkerHealth('127.0.0.1:0', () => states);
    const probe = async () => {
      const response = await fetch(`http://${server!.address}/healthz`);
      return { status: response.status, body: await response.json() };
    };
    expect(await probe()).toEqual({ status: 503, body: { ok: false, workers: [] } });
    states = [{ taskQueue: 'q', state: 'RUNNING' }, { taskQueue: 'q-watch', state: 'RUNNING' }];
    expect(await probe()).toEqual({ status: 200, body: { ok: true, workers: states } });
    for (const state of ['DRAINING', 'STOPPED', 'FAILED']) {
      states = [{ taskQueue: 'q', state: 'RUNNING' }, { taskQueue: 'q-watch', state }];
      expect(await probe()).toEqual({ status: 503, body: { ok: false, workers: states } });
    }
  });

  test('answers 404 for anything else, and close() ends kept-alive connections', async () => {
    server = await serveWorkerHealth('127.0.0.1:0', () => []);
    const response = await fetch(`http://${server.address}/metrics`);
    expect(response.status).toBe(404);
    await response.text();
    await server.close();
    await expect(fetch(`http://${server.address}/healthz`)).rejects.toThrow();
    server = undefined;
  });

  test('a taken port fails the start with the variable and the system\'s reason', async () => {
    server = await serveWorkerHealth('127.0.0.1:0', () => []);
    await expect(serveWorkerHealth(server.address, () => [])).rejects.toThrow(`the health endpoint (WORKER_HEALTH_ADDRESS) cannot listen on ${server.address}: listen EADDRINUSE`);
  });
});
