import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelConnectionInfo } from '../../src/jupyter/connection-info.js';
import { KernelClient, KernelClientClosedError, KernelTimeoutError } from '../../src/jupyter/kernel-client.js';
import { newMessage, type JupyterMessage } from '../../src/jupyter/messages.js';

// Debian's Python, where python3-ipykernel is installed (tools/install-debian-packages.sh).
const python = '/usr/bin/python3';
const host = '127.0.0.1';

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<Server>((resolve) => {
      const server = createServer();
      server.listen(0, host, () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** A real ipykernel on this host, in its own process group (its interrupt_request signals the whole group), killed afterwards. */
async function withKernel(body: (info: KernelConnectionInfo, kill: () => Promise<void>) => Promise<void>): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), 'jupyter-kernel-'));
  const [shell, iopub, stdin, control, hb] = (await freePorts(5)) as [number, number, number, number, number];
  const info: KernelConnectionInfo = {
    ip: host, transport: 'tcp', key: randomUUID(), signature_scheme: 'hmac-sha256',
    shell_port: shell, iopub_port: iopub, stdin_port: stdin, control_port: control, hb_port: hb, kernel_name: 'python3',
  };
  const connectionFile = join(directory, 'kernel.json');
  await writeFile(connectionFile, JSON.stringify(info));
  const kernel = spawn(python, ['-m', 'ipykernel_launcher', '-f', connectionFile], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, IPYTHONDIR: join(directory, 'ipython'), JUPYTER_RUNTIME_DIR: directory },
  });
  let stderr = '';
  kernel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => kernel.on('close', () => resolve()));
  const kill = async (): Promise<void> => {
    if (kernel.exitCode === null && kernel.signalCode === null) process.kill(-kernel.pid!, 'SIGKILL');
    await exited;
  };
  try {
    await body(info, kill);
  } catch (error) {
    throw new Error(`${(error as Error).message}\nkernel stderr:\n${stderr}`, { cause: error });
  } finally {
    await kill();
    await rm(directory, { recursive: true, force: true });
  }
}

async function eventually<T>(find: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`not seen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const execute = (code: string): Record<string, unknown> => ({ code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });

describe('KernelClient against a real ipykernel', () => {
  test('ready, then x = 6 * 7 and print(x) give 42 on iopub; the heartbeat beats; a wrong key’s messages are dropped', async () => {
    await withKernel(async (info) => {
      const intruder = KernelClient.connect({ ...info, key: 'not-the-key' }, host);
      const dropped: string[] = [];
      intruder.onDropped((reason) => dropped.push(reason));
      const client = KernelClient.connect(info, host, { username: 'alice' });
      try {
        const messages: JupyterMessage[] = [];
        client.onMessage((message) => messages.push(message));

        const kernelInfo = await client.ready(15_000);
        expect(kernelInfo.header.msg_type).toBe('kernel_info_reply');
        expect(kernelInfo.content).toMatchObject({ status: 'ok', language_info: { name: 'python' } });
        expect(messages.some((message) => message.channel === 'iopub')).toBe(true);

        const assigned = await client.request('shell', 'execute_request', execute('x = 6 * 7'), 10_000);
        expect(assigned).toMatchObject({ channel: 'shell', header: { msg_type: 'execute_reply' }, content: { status: 'ok' } });
        const printed = await client.request('shell', 'execute_request', execute('print(x)'), 10_000);
        expect(printed.content.status).toBe('ok');
        // iopub is another socket: the output may arrive after the reply.
        const stream = await eventually(() => messages.find((message) =>
          message.channel === 'iopub' && message.header.msg_type === 'stream' && message.parent_header.msg_id === printed.parent_header.msg_id));
        expect(stream.content).toEqual({ name: 'stdout', text: '42\n' });
        expect(stream.parent_header).toMatchObject({ session: client.session, username: 'alice' });

        expect(await client.beats(2_000)).toBe(true);
        // The intruder's subscription may come up late (slow joiner): make the kernel publish until it has seen something.
        for (let attempt = 0; dropped.length === 0 && attempt < 50; attempt += 1) await client.request('shell', 'kernel_info_request', {}, 5_000);
        expect(dropped[0]).toMatch(/^a message on iopub was dropped: the message signature does not match/);
      } finally {
        client.close();
        intruder.close();
      }
    });
  });

  test('interrupt_request on control stops a running cell with KeyboardInterrupt; ready() on a busy kernel answers through control', async () => {
    await withKernel(async (info) => {
      const client = KernelClient.connect(info, host);
      const latecomer = KernelClient.connect(info, host);
      try {
        const messages: JupyterMessage[] = [];
        client.onMessage((message) => messages.push(message));
        await client.ready(15_000);

        const loop = newMessage('execute_request', execute('while True: pass'), client.session);
        await client.send('shell', loop);
        const isLoops = (message: JupyterMessage): boolean => message.parent_header.msg_id === loop.header.msg_id;
        await eventually(() => messages.find((message) => isLoops(message) && message.header.msg_type === 'execute_input'));

        const latecomerInfo = await latecomer.ready(5_000);
        expect(latecomerInfo).toMatchObject({ channel: 'control', header: { msg_type: 'kernel_info_reply' } });

        const interrupted = await client.request('control', 'interrupt_request', {}, 5_000);
        // ipykernel 6.17 echoes the request's content; later versions answer {"status": "ok"}.
        expect(interrupted.header.msg_type).toBe('interrupt_reply');
        const reply = await eventually(() => messages.find((message) => isLoops(message) && message.header.msg_type === 'execute_reply'));
        expect(reply.content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
      } finally {
        client.close();
        latecomer.close();
      }
    });
  });

  test('a killed kernel: no heartbeat, requests time out, and close() rejects what still waits', async () => {
    await withKernel(async (info, kill) => {
      const client = KernelClient.connect(info, host);
      try {
        await client.ready(15_000);
        expect(await client.beats(2_000)).toBe(true);
        await kill();
        expect(await client.beats(300)).toBe(false);
        await expect(client.request('shell', 'kernel_info_request', {}, 300)).rejects.toThrow(KernelTimeoutError);
        const waiting = client.request('control', 'kernel_info_request', {}, 10_000);
        const beating = client.beats(10_000);
        client.close();
        await expect(waiting).rejects.toThrow(KernelClientClosedError);
        await expect(beating).rejects.toThrow(KernelClientClosedError);
        await expect(client.send('shell', newMessage('kernel_info_request', {}, client.session))).rejects.toThrow(KernelClientClosedError);
      } finally {
        client.close();
      }
    });
  });
});
