import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'cardfile' },
    // Tokens never reach a log line, whatever logs a request.
    redact: ['req.headers.authorization', 'headers.authorization', '*.authorization'],
  });
}
