import { pathToFileURL } from 'node:url';
import type { Logger } from './logger.js';

/** True when the module at `moduleUrl` is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;
}

/**
 * Waits for SIGINT or SIGTERM, runs `shutdown` once and exits. A second signal while shutting
 * down exits at once (the person at the terminal insists).
 */
export function runUntilSignal(logger: Logger, shutdown: () => Promise<void>): Promise<never> {
  return new Promise<never>(() => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(130);
      }
      stopping = true;
      logger.info({ signal }, 'stopping');
      shutdown().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** A start-up failure as one sentence for a person (bad configuration, taken port), then exit 1. */
export function exitOnStartupError(component: string): (error: unknown) => never {
  return (error: unknown) => {
    console.error(`${component}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  };
}
