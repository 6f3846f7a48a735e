import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertPortFree, freePort, loopback } from '../../src/local/ports.js';
import { ComponentError, SupervisedProcess } from '../../src/local/supervised-process.js';
import { isAlive } from '../support/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'supervised-'));

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}


describe('SupervisedProcess', () => {
  test('a component that dies before it is ready fails naming it, with the tail of its log', async () => {
    const component = SupervisedProcess.start({
      name: 'fake-apiserver',
      command: script('dies.sh', 'echo "starting"; echo "E: bind: address already in use" >&2; exit 3'),
      args: [],
      logFile: join(dir, 'dies.log'),
    });
    const failure = component.waitUntilReady('ready', async () => false, 10_000);
    await expect(failure).rejects.toThrow(ComponentError);
    await expect(failure).rejects.toThrow(/^fake-apiserver: exited with code 3 before ready\n--- last lines of its log ---\nstarting\nE: bind: address already in use$/);
  });

  test('a component that never gets ready fails after the timeout, naming it', async () => {
    const component = SupervisedProcess.start({ name: 'slow', command: script('slow.sh', 'exec sleep 30'), args: [], logFile: join(dir, 'slow.log') });
    await expect(component.waitUntilReady('serving', async () => false, 500)).rejects.toThrow('slow: not serving after 0.5s');
    await component.stop();
  });

  test('ready when the probe says so; stop leaves no process behind', async () => {
    const component = SupervisedProcess.start({ name: 'sleeper', command: script('sleeper.sh', 'exec sleep 30'), args: [], logFile: join(dir, 'sleeper.log') });
    await component.waitUntilReady('up', async () => true, 5_000);
    const pid = component.pid!;
    expect(isAlive(pid)).toBe(true);
    await component.stop();
    expect(component.running).toBe(false);
    expect(isAlive(pid)).toBe(false);
  });

  test('a component that ignores SIGTERM is killed after the grace period', async () => {
    const component = SupervisedProcess.start({
      name: 'stubborn', command: script('stubborn.sh', "trap '' TERM; while true; do sleep 0.1; done"), args: [], logFile: join(dir, 'stubborn.log'),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    await component.stop(500);
    expect(component.running).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
  });

  test('a missing binary is a clear error telling how to build it', () => {
    expect(() => SupervisedProcess.start({ name: 'etcd', command: join(dir, 'nope'), args: [], logFile: join(dir, 'nope.log') }))
      .toThrow(/etcd: binary .*nope is missing: run 'bash tools\/build-all.sh'/);
  });
});

describe('ports', () => {
  test('a taken port is an error naming the component and the port', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, loopback, () => resolve()));
    try {
      await expect(assertPortFree('kube-apiserver', port)).rejects.toThrow(`kube-apiserver: port ${port} on 127.0.0.1 is already in use`);
    } finally {
      server.close();
    }
    await expect(assertPortFree('kube-apiserver', port)).resolves.toBeUndefined();
  });
});
