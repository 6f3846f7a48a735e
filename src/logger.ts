import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs. Credentials are redacted by path as a second line of defence: the first
 * is never putting them in a logged object at all.
 */
export function createLogger(component: string): Logger {
  return pino({
    name: component,
    level: process.env.LOG_LEVEL ?? 'info',
    redact: {
      paths: ['*.token', '*.authorization', 'req.headers.authorization', '*.password', '*.privateKey', '*.clientKey'],
      censor: '[redacted]',
    },
  });
}

export type { Logger };
