import { createRequire } from 'node:module';
import type * as Pino from 'pino';

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

/**
 * The default diagnostic logger: pino to stderr, made on first use so an idle library costs nothing.
 * pino itself loads here too (synchronously, it is CommonJS): an app that passes its own logger
 * never loads it.
 */
export function defaultLogger(): DiagnosticLogger {
  if (fallback === undefined) {
    const { pino } = createRequire(import.meta.url)('pino') as typeof Pino;
    fallback = pino({ name: 'express-privacy-log' }, pino.destination({ dest: 2, sync: true }));
  }
  return fallback;
}

/**
 * Report through the diagnostic logger without ever throwing: the logger is the app's, and a broken
 * one must not break a request, a route or the logging of requests. Every call the library makes to
 * the logger goes through here. `info` falls back to `warn` since it is optional on
 * {@link DiagnosticLogger}.
 */
export function report(
  logger: DiagnosticLogger,
  level: 'error' | 'warn' | 'info',
  details: object,
  message: string,
): void {
  try {
    if (level === 'error') logger.error(details, message);
    else if (level === 'info' && logger.info) logger.info(details, message);
    else logger.warn(details, message);
  } catch {
    // Nowhere left to report to.
  }
}
