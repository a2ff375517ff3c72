import { createRequire } from 'node:module';
import type { z as Zod } from 'zod';

/** The zod namespace, as the schema builders receive it. */
export type ZodNamespace = typeof Zod;

let loaded: ZodNamespace | undefined;

/**
 * zod, loaded on first use instead of when the package is imported: its ES build is about a hundred
 * modules, once most of this package's import time. Its CommonJS build loads synchronously, so
 * `definePolicy()` and `privacyLog()` stay synchronous and still throw at startup.
 */
export function zod(): ZodNamespace {
  loaded ??= (createRequire(import.meta.url)('zod') as { z: ZodNamespace }).z;
  return loaded;
}

/** A schema (or anything else made with zod) built on the first call, then kept. */
export function lazily<T>(build: (z: ZodNamespace) => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= build(zod());
    return value;
  };
}
