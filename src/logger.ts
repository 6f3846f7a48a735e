import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Structured JSON logs. Credentials are redacted by path as a second line of defence: the first
 * is never putting them in a logged object at all. Standard output unless given a destination.
 */
export function createLogger(component: string, destination?: DestinationStream): Logger {
  return pino({
    name: component,
    level: process.env.LOG_LEVEL ?? 'info',
    redact: {
      paths: ['*.token', '*.authorization', 'req.headers.authorization', '*.password', '*.privateKey', '*.clientKey'],
      censor: '[redacted]',
    },
  }, destination);
}

export type { Logger };
