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

let pinoLogger: DiagnosticLogger | undefined;

/** pino to stderr, loaded and made by the first message (pino is CommonJS: a synchronous load). */
function stderrLogger(): DiagnosticLogger {
  if (pinoLogger === undefined) {
    const { pino } = createRequire(import.meta.url)('pino') as typeof Pino;
    pinoLogger = pino({ name: 'express-privacy-log' }, pino.destination({ dest: 2, sync: true }));
  }
  return pinoLogger;
}

/**
 * The default diagnostic logger: pino to stderr. pino loads with the first message, so a logger
 * that has nothing to report (and an app that passes its own) never loads it.
 */
const fallback: DiagnosticLogger = {
  warn: (details, message) => stderrLogger().warn(details, message),
  error: (details, message) => stderrLogger().error(details, message),
  info: (details, message) => stderrLogger().info?.(details, message),
};

/** The default diagnostic logger (see {@link fallback}). */
export function defaultLogger(): DiagnosticLogger {
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
