import { createServer, type Socket } from 'node:net';
import type { KernelConnectionInfo } from './connection-info.js';
import { decodeLaunchPayload, LaunchPayloadError, type LaunchKeyPair } from './launch-keys.js';

/** `connection` rejects with this when the listener closes before a valid payload arrived. */
export class ConnectBackClosedError extends Error {
  constructor() {
    super('the connect-back listener closed before the kernel connected back');
    this.name = 'ConnectBackClosedError';
  }
}

// A launcher's payload (about 1 KiB) comes in one send; a peer that holds a connection open
// without finishing is not a launcher.
const maxPayloadBytes = 64 * 1024;
const idleTimeoutMs = 10_000;

/**
 * The port EG's launchers connect back to (--response-address) with the kernel's encrypted
 * connection info. One listener per launch: its key pair is that launch's, so a payload it can
 * decrypt came from the process that was given the public key.
 */
export async function listenForConnectBack(
  host: string,
  keys: LaunchKeyPair,
  expectedKernelId: string,
  onRejected: (reason: string) => void = () => undefined,
): Promise<{ address: string; connection: Promise<KernelConnectionInfo>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let settle!: { resolve(info: KernelConnectionInfo): void; reject(error: Error): void };
  const connection = new Promise<KernelConnectionInfo>((resolve, reject) => (settle = { resolve, reject }));
  // Rejected only by close(): a caller that closes without waiting must not get an unhandled rejection.
  connection.catch(() => undefined);

  const server = createServer((socket) => {
    sockets.add(socket);
    const chunks: Buffer[] = [];
    let received = 0;
    socket.setTimeout(idleTimeoutMs, () => {
      onRejected(`a connection from ${socket.remoteAddress} sent no complete payload within ${idleTimeoutMs} ms`);
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxPayloadBytes) {
        onRejected(`a connection from ${socket.remoteAddress} sent more than ${maxPayloadBytes} bytes`);
        socket.destroy();
        return;
      }
      chunks.push(chunk);
    });
    socket.on('end', () => {
      socket.end();
      const reason = accept(Buffer.concat(chunks));
      if (reason !== undefined) onRejected(`a payload from ${socket.remoteAddress} was refused: ${reason}`);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });

  function accept(payload: Buffer): string | undefined {
    let info: KernelConnectionInfo;
    try {
      info = decodeLaunchPayload(payload, keys.privateKey);
    } catch (error) {
      if (error instanceof LaunchPayloadError) return error.message;
      throw error;
    }
    if (info.kernel_id !== expectedKernelId) return `it is for kernel ${info.kernel_id ?? '(none)'}, not ${expectedKernelId}`;
    settle.resolve(info);
    void close();
    return undefined;
  }

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= new Promise<void>((resolve) => {
      settle.reject(new ConnectBackClosedError());
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closing;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as { port: number };
  return { address: `${host}:${port}`, connection, close };
}
