import pino, { type Logger } from 'pino';

/**
 * JSON logs. Keys and bodies are never logged on purpose; the redaction below is the safety net
 * for anything that carries them by accident.
 */
export function createLogger(level: string, destination: 'stdout' | 'stderr'): Logger {
  return pino(
    {
      level,
      base: { service: 'switchboard' },
      redact: {
        paths: [
          'authorization',
          'headers.authorization',
          'headers["x-api-key"]',
          'apiKey',
          'api_key',
          'secret',
          '*.secret',
          'key',
          'body',
          '*.body',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: destination === 'stdout' ? 1 : 2, sync: false }),
  );
}
