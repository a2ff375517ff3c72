import { existsSync, readFileSync } from 'node:fs';

const NAME = 'express-privacy-log';
let cached: URL | null | undefined;

/**
 * The package's own folder (where its package.json is), found by walking up from this module. The
 * build bundles modules into entry files and shared chunks, so the depth of the code that runs this
 * under the package root depends on where the bundler put it (`dist/`, `dist/chunks/`, `dist/entries/`;
 * `src/` when the test runner runs the sources): only the package.json is a fixed point. Null when
 * no package.json of this package is found (the code was bundled into an app's own build).
 */
export function packageRoot(): URL | null {
  if (cached !== undefined) return cached;
  cached = null;
  let dir = new URL('./', import.meta.url);
  if (dir.protocol !== 'file:') return cached;
  for (;;) {
    const manifest = new URL('package.json', dir);
    if (existsSync(manifest) && nameOf(manifest) === NAME) {
      cached = dir;
      break;
    }
    const parent = new URL('../', dir);
    if (parent.href === dir.href) break;
    dir = parent;
  }
  return cached;
}

function nameOf(manifest: URL): unknown {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
  } catch {
    return undefined;
  }
}
