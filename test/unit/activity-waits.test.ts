import { describe, expect, test } from '@jest/globals';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { getEventListeners } from 'node:events';
import { heartbeatUntil, pause, unlessCancelled } from '../../src/activities/activity-waits.js';

/** Listeners on the activity's cancellation signal: what a wait that is over must not leave behind. */
const abortListeners = (environment: MockActivityEnvironment) => getEventListeners(environment.context.cancellationSignal, 'abort').length;

describe('waits inside an activity', () => {
  test('pause waits its time, and 200 pauses over leave no listener on the cancellation', async () => {
    const environment = new MockActivityEnvironment();
    const before = abortListeners(environment);
    const started = Date.now();
    await environment.run(async () => {
      const context = Context.current();
      for (let i = 0; i < 200; i++) await pause(context, 0);
      await pause(context, 50);
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    expect(abortListeners(environment)).toBe(before);
  });

  test('a cancellation cuts a pause short with the CancelledFailure the SDK reports as a cancellation', async () => {
    const environment = new MockActivityEnvironment();
    const started = Date.now();
    const running = environment.run(() => pause(Context.current(), 60_000));
    setTimeout(() => environment.cancel('CANCELLED'), 20);
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('unlessCancelled settles as its promise does, and rejects at once if the activity was cancelled already', async () => {
    const environment = new MockActivityEnvironment();
    await expect(environment.run(() => unlessCancelled(Context.current(), Promise.resolve(42)))).resolves.toBe(42);
    await expect(environment.run(() => unlessCancelled(Context.current(), Promise.reject(new Error('no pod'))))).rejects.toThrow('no pod');
    environment.cancel('CANCELLED');
    await expect(environment.run(() => unlessCancelled(Context.current(), new Promise(() => undefined)))).rejects.toBeInstanceOf(CancelledFailure);
  });

  test('heartbeatUntil heartbeats while it waits, returns what ended it, and stops heartbeating then', async () => {
    const environment = new MockActivityEnvironment();
    let beats = 0;
    environment.on('heartbeat', () => beats++);
    const ended = await environment.run(() => heartbeatUntil(Context.current(), new Promise<string>((resolve) => setTimeout(() => resolve('pod ended'), 120)), 25));
    expect(ended).toBe('pod ended');
    expect(beats).toBeGreaterThanOrEqual(3);
    const afterEnd = beats;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(beats).toBe(afterEnd);
    expect(abortListeners(environment)).toBe(0);
  });

  test('heartbeatUntil ends with the cancellation when one comes first', async () => {
    const environment = new MockActivityEnvironment();
    const running = environment.run(() => heartbeatUntil(Context.current(), new Promise<never>(() => undefined), 25));
    setTimeout(() => environment.cancel('CANCELLED'), 60);
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
  });
});
