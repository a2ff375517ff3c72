import { createRequire } from 'node:module';
import type * as IsBot from 'isbot';
import type { UAParser } from 'ua-parser-js';

/** The two parsers, loaded by the first string that needs them. */
export interface Parsers {
  readonly isbot: (ua: string) => boolean;
  readonly ua: UAParser;
}

/**
 * ua-parser-js and isbot load with the first User-Agent parsed, in the background stage (in worker
 * mode, in the worker): importing the package, and the thread that serves requests, never need
 * them. Both have CommonJS builds, so the load is synchronous.
 */
export function loadParsers(): Parsers {
  const require = createRequire(import.meta.url);
  const { isbot } = require('isbot') as typeof IsBot;
  const Parser = require('ua-parser-js') as typeof UAParser;
  return { isbot, ua: new Parser() };
}
