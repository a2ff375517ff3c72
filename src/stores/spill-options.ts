import { isAbsolute, resolve } from 'node:path';
import { nearest, PolicyError, type PolicyIssue } from '../policy/errors.js';

/**
 * Where a network store's records go while the store is down and its memory buffer is filling:
 * files in `dir`, replayed in order once the store answers again (also by the next process, when
 * this one ends first). See docs/delivery.md.
 */
export interface SpillOptions {
  /**
   * The directory for the spill files (made with mode 0700 when missing; files are 0600). A
   * relative path is resolved from the working directory when the store is made. One logger per
   * directory: two stores, or two processes, must not share one.
   */
  dir: string;
  /** Most bytes the spill files may hold; beyond that, records stay in memory. Default 256 MiB. */
  maxBytes?: number;
}

/** {@link SpillOptions} resolved: an absolute directory and a byte bound. */
export interface SpillSettings {
  readonly dir: string;
  readonly maxBytes: number;
}

/**
 * The symbol under which a store exposes its {@link SpillSettings} to the logger's delivery. A
 * registered symbol, so that two copies of the package recognise each other's stores.
 */
export const spillSettingsOf: unique symbol = Symbol.for('express-privacy-log.spill');

const KEYS = ['dir', 'maxBytes'] as const;
const MIN_BYTES = 64 * 1024;

/**
 * Validate a store's `spill` option; `undefined` when it is absent. Checked by hand, not with the
 * policy schema's library: a command that only opens a store should not load it.
 * @throws PolicyError naming the key (`<Store>.spill.dir`...), the value found and what is allowed.
 */
export function parseSpillOptions(storeName: string, value: unknown): SpillSettings | undefined {
  if (value === undefined) return undefined;
  const key = `${storeName}.spill`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PolicyError([
      { key, value, message: 'must be an object { dir, maxBytes? }, e.g. { dir: "./log-spill" }' },
    ]);
  }
  const issues: PolicyIssue[] = [];
  for (const name of Object.keys(value)) {
    if ((KEYS as readonly string[]).includes(name)) continue;
    const suggestion = nearest(name, KEYS);
    issues.push({
      key: `${key}.${name}`,
      value: (value as Record<string, unknown>)[name],
      message: `unknown key${suggestion ? `; did you mean "${suggestion}"?` : '.'} Allowed keys: ${KEYS.join(', ')}`,
      allowed: KEYS,
      ...(suggestion ? { suggestion } : {}),
    });
  }
  const { dir, maxBytes = 256 * 1024 * 1024 } = value as { dir?: unknown; maxBytes?: unknown };
  if (typeof dir !== 'string' || dir === '') {
    issues.push({ key: `${key}.dir`, value: dir, message: 'must be a directory path' });
  }
  if (typeof maxBytes !== 'number' || !Number.isInteger(maxBytes) || maxBytes < MIN_BYTES) {
    issues.push({
      key: `${key}.maxBytes`,
      value: maxBytes,
      message: `must be a whole number of bytes, at least ${MIN_BYTES} (64 KiB)`,
    });
  }
  if (issues.length > 0) throw new PolicyError(issues);
  const path = dir as string;
  return { dir: isAbsolute(path) ? path : resolve(path), maxBytes: maxBytes as number };
}

/**
 * The symbol of a method `(subject) => Promise<number>` that the logger puts on the stores it
 * hands to the privacy operations when it buffers records for them on disk: an erasure removes
 * the subject's records that are still on their way (in memory or in the spill), which the store,
 * down, cannot erase itself. Resolves with how many went; never rejects.
 */
export const eraseBufferedOf: unique symbol = Symbol.for('express-privacy-log.eraseBuffered');

/** The spill settings a store carries, if any. */
export function spillOf(store: unknown): SpillSettings | undefined {
  if (typeof store !== 'object' || store === null) return undefined;
  try {
    const settings = (store as { [spillSettingsOf]?: unknown })[spillSettingsOf];
    if (typeof settings !== 'object' || settings === null) return undefined;
    const { dir, maxBytes } = settings as Partial<SpillSettings>;
    return typeof dir === 'string' && typeof maxBytes === 'number' ? { dir, maxBytes } : undefined;
  } catch {
    return undefined;
  }
}
