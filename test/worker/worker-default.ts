import type { privacyLog as PrivacyLog } from '../../src/middleware.js';
import type { PrivacyLogOptions } from '../../src/options.js';

/**
 * Runs existing test files in worker mode: a test file mocks `src/middleware.js` with
 * {@link workerByDefault} and imports them, so that every `privacyLog()` they make (directly or
 * through the helpers) defaults to `worker: true`. The loggers that fall back to in-process are
 * counted, so that a wrapper can say exactly which ones did and why.
 */
export const fallbacks: string[] = [];

/** How many loggers the wrapped `privacyLog()` made (so a wrapper can tell the mock applied). */
export const made = { count: 0 };

export async function workerByDefault(
  importOriginal: () => Promise<{ privacyLog: typeof PrivacyLog }>,
) {
  const original = await importOriginal();
  const privacyLog = (options: PrivacyLogOptions = {}) => {
    made.count++;
    const logger = options.logger;
    const watched = {
      warn(details: object, message: string) {
        const { code, reason } = details as { code?: unknown; reason?: unknown };
        if (code === 'WRN_WORKER_FALLBACK') fallbacks.push(String(reason));
        logger?.warn(details, message);
      },
      error(details: object, message: string) {
        logger?.error(details, message);
      },
      info(details: object, message: string) {
        logger?.info?.(details, message);
      },
    };
    // The watcher must not report what the test's own logger would not have seen.
    return original.privacyLog({
      worker: true,
      ...options,
      ...(logger === undefined ? {} : { logger: watched }),
    });
  };
  return { ...original, privacyLog };
}
