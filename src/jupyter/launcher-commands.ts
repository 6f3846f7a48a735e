import { connect } from 'node:net';

/** The launcher did not take the command: refused, reset, or not closed by it within the timeout. */
export class LauncherCommandError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'LauncherCommandError';
  }
}

/**
 * EG's launcher comm port: one JSON object per TCP connection, `{"signum": N}` or `{"shutdown": 1}`.
 * The launcher reads until we half-close, acts, then closes its side: that close is the only
 * acknowledgement it gives.
 */
export function sendLauncherCommand(host: string, commPort: number, command: { signum: number } | { shutdown: 1 }, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port: commPort });
    const fail = (message: string, cause?: unknown): void => {
      socket.destroy();
      reject(new LauncherCommandError(`${JSON.stringify(command)} to the launcher at ${host}:${commPort}: ${message}`, { cause }));
    };
    const timer = setTimeout(() => fail(`no close within ${timeoutMs} ms`), timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      fail(error.message, error);
    });
    socket.on('data', () => undefined);
    socket.once('end', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.end(JSON.stringify(command));
  });
}
