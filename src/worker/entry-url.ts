import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The compiled worker entry. Installed, the package runs from `dist/`, where `entry.js` sits next
 * to this file. Run from its TypeScript sources (the test runner does), `src/worker/entry.js` does
 * not exist, and Node 20 cannot start a worker from a `.ts` file: the compiled entry of the same
 * checkout, `dist/worker/entry.js`, is used instead (`npm run build` makes it). Undefined when
 * neither exists: the logger then runs in-process and says why.
 */
export function workerEntry(): URL | undefined {
  const candidates = [
    new URL('./entry.js', import.meta.url),
    new URL('../../dist/worker/entry.js', import.meta.url),
  ];
  return candidates.find((url) => url.protocol === 'file:' && existsSync(fileURLToPath(url)));
}
