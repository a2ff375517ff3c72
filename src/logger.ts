import { pino } from 'pino';

/**
 * Where the library reports its own warnings and failures: any pino-compatible logger (pino,
 * pino-http's `logger`, or an object with `warn` and `error`). Visitors' records never go here.
 */
export interface DiagnosticLogger {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
  info?(details: object, message: string): void;
}

let fallback: DiagnosticLogger | undefined;

/** The default diagnostic logger: pino to stderr, made on first use so an idle library costs nothing. */
export function defaultLogger(): DiagnosticLogger {
  fallback ??= pino({ name: 'express-privacy-log' }, pino.destination({ dest: 2, sync: true }));
  return fallback;
}
