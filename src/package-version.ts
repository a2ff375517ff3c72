import { readFileSync } from 'node:fs';

let cached: string | undefined;

/**
 * The library's version from its package.json, read once (`unknown` when it cannot be read). This
 * module sits directly in `src/` and in `dist/`, so the file is one level up in both.
 */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    cached = String(pkg.version);
  } catch {
    cached = 'unknown';
  }
  return cached;
}
