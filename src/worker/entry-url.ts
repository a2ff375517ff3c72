import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../package-root.js';

/**
 * The compiled worker entry, `dist/worker/entry.js` under the package root: the build makes it an
 * entry point of its own, while the code that starts the worker lands in whichever bundled file
 * the bundler chose, so the path is taken from the root, not from this module. Run from its
 * TypeScript sources (the test runner does), the same checkout's build is used: Node 20 cannot start
 * a worker from a `.ts` file. Undefined when it does not exist: the logger then runs in-process and
 * says why.
 */
export function workerEntry(): URL | undefined {
  const root = packageRoot();
  if (root === null) return undefined;
  const entry = new URL('dist/worker/entry.js', root);
  return existsSync(fileURLToPath(entry)) ? entry : undefined;
}
