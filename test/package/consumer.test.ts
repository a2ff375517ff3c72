// The packaged-consumer test (scripts/consumer-test.mjs) as part of `npm test`: the tarball
// installed into fresh ES module, CommonJS and TypeScript projects on Express 4 and 5, the README's
// examples run and type-checked there. It installs from the npm registry (or a warm npm cache), so
// it is skipped, with the reason, where the registry cannot be reached, but never in CI.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const run = promisify(execFile);

async function registryUnreachable(): Promise<string | undefined> {
  if (process.env.CI) return undefined;
  try {
    await run('npm', ['ping'], { timeout: 15_000 });
    return undefined;
  } catch {
    return 'the npm registry cannot be reached (`npm ping` failed)';
  }
}

const skipReason = await registryUnreachable();

describe('the packed package in fresh projects', () => {
  // One install per Express major, with better-sqlite3's native build: minutes, not seconds.
  it.skipIf(skipReason !== undefined)(
    `installs, type-checks and runs the README's examples on Express 4 and 5${skipReason ? ` (skipped: ${skipReason})` : ''}`,
    { timeout: 20 * 60_000 },
    async () => {
      if (!existsSync(join(ROOT, 'dist/index.js'))) {
        throw new Error(
          'dist/ is missing: run `npm run build` first (the tarball ships the build)',
        );
      }
      const { stdout } = await run(process.execPath, [join(ROOT, 'scripts/consumer-test.mjs')], {
        cwd: ROOT,
        maxBuffer: 16 * 1024 * 1024,
      });
      const lines = stdout.trim().split('\n');
      for (const major of [4, 5]) {
        for (const step of [
          'TypeScript project type-checks and compiles',
          'esm/usage.mjs served, stopped on SIGTERM',
          'cjs/usage.cjs served, stopped on SIGTERM',
          'ts/out/usage.js served, stopped on SIGTERM',
          'extend-preset.mjs defines the extended policy',
        ]) {
          expect(
            lines.some((line) => line.startsWith(`[consumer] express ${major}: ${step}`)),
          ).toBe(true);
        }
      }
      expect(lines.at(-1)).toBe('[consumer] ok');
    },
  );
});
