import { readFileSync } from 'node:fs';
import { packageRoot } from './package-root.js';

let cached: string | undefined;

/** The library's version from its package.json, read once (`unknown` when it cannot be read). */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  try {
    const root = packageRoot();
    const pkg =
      root === null ? {} : JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
    cached = pkg.version === undefined ? 'unknown' : String(pkg.version);
  } catch {
    cached = 'unknown';
  }
  return cached;
}
