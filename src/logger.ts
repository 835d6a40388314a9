import { pino, type Logger } from 'pino';

/** Creates the process logger; secrets are redacted wherever they might appear. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: ['req.headers.authorization', '*.password', '*.secret', '*.apiKey', '*.adminKey', '*.ingestKey'],
      censor: '[redacted]',
    },
  });
}

export type { Logger };
