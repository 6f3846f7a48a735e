import { createServer } from 'node:net';
import { ComponentError } from './supervised-process.js';

export const loopback = '127.0.0.1';

/** Fails with a message naming the component when `port` is taken on loopback. */
export async function assertPortFree(component: string, port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE'
        ? new ComponentError(component, `port ${port} on ${loopback} is already in use (stop whatever listens there, or stop an earlier 'npm start')`)
        : error);
    });
    server.listen(port, loopback, () => resolvePromise());
  });
  await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
}

/** A port the kernel reports free right now; tests use these so they never collide with `npm start`. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolvePromise) => server.listen(0, loopback, () => resolvePromise()));
  const address = server.address();
  await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
  if (address === null || typeof address === 'string') throw new Error('could not allocate a port');
  return address.port;
}

/**
 * A free port below 32768, outside Linux's ephemeral range, for what stores its port in a 16-bit
 * signed column (Temporal's cluster membership on PostgreSQL).
 */
export async function freeLowPort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      await assertPortFree('port search', port);
      return port;
    } catch {
      continue;
    }
  }
  throw new Error('no free port between 20000 and 32000 after 100 tries');
}
