import pino, { type Logger } from 'pino';

export interface CapturedLog {
  log: Logger;
  /** Every line written, parsed; pino levels: 20 debug, 30 info, 40 warn, 50 error. */
  lines: Record<string, any>[];
}

/** A logger that keeps its lines in memory, to assert what a request logged and at which level. */
export function captureLog(level = 'debug'): CapturedLog {
  const lines: Record<string, any>[] = [];
  const log = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}
