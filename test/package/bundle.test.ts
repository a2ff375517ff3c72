// The bundled build in dist/: the files it ships reach one another, an entry point shares its
// classes with the others, and what is started by path (the command, the worker thread) runs
// from it. The build moves code into shared chunks, so paths computed from a module's own
// location are checked here, from the build, not from the sources.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const DIST = join(ROOT, 'dist');
if (!existsSync(join(DIST, 'index.js'))) {
  throw new Error('dist/ is missing: run `npm run build` first (these tests check the build)');
}
const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
};

/** The relative specifiers a built file imports, statically or with `import()`. */
function relativeImports(file: string): string[] {
  const code = readFileSync(join(ROOT, file), 'utf8');
  const found = code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.\.?\/[^"']+)["']/g);
  return [...found].map((match) => match[1]!);
}

describe('the bundled build', { timeout: 60_000 }, () => {
  let shipped: string[];
  beforeAll(async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
    });
    shipped = (JSON.parse(stdout) as [{ files: { path: string }[] }])[0].files.map((f) => f.path);
  });

  it('ships every file its JavaScript imports, and not the entries kept for tests and benchmarks', () => {
    const code = shipped.filter((path) => path.endsWith('.js'));
    expect(code.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const file of code) {
      for (const specifier of relativeImports(file)) {
        const target = posix.join(posix.dirname(file), specifier);
        if (!shipped.includes(target)) missing.push(`${file} -> ${target}`);
      }
    }
    expect(missing).toEqual([]);
    expect(shipped.filter((path) => path.startsWith('dist/internal/'))).toEqual([]);
    expect(shipped).toContain('dist/worker/entry.js');
  });

  it('the command keeps its shebang and can be run by path', () => {
    for (const target of Object.values(pkg.bin)) {
      const file = join(ROOT, target);
      expect(readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
      expect(statSync(file).mode & 0o111).toBe(0o111);
    }
  });

  it('a class is the same class from the package root and from its subpath', async () => {
    const load = (path: string) => import(pathToFileURL(join(DIST, path)).href);
    const [root, sqlite, memory, ndjson] = await Promise.all([
      load('index.js'),
      load('entries/sqlite.js'),
      load('entries/memory.js'),
      load('entries/ndjson.js'),
    ]);
    expect(sqlite.SqliteStore).toBe(root.SqliteStore);
    expect(memory.MemoryStore).toBe(root.MemoryStore);
    expect(ndjson.NdjsonStore).toBe(root.NdjsonStore);
  });

  describe('from the build', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'epl-bundle-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('the command reads the package version', async () => {
      const { stdout } = await run(process.execPath, [
        join(ROOT, pkg.bin['express-privacy-log']!),
        '--version',
      ]);
      expect(stdout.trim()).toBe(pkg.version);
    });

    it('a logger in worker mode starts its worker thread and writes through it', async () => {
      const path = join(dir, 'worker.sqlite');
      const express = pathToFileURL(createRequire(import.meta.url).resolve('express')).href;
      // The app imports the build; the worker's file is found from the package root.
      const app = join(dir, 'app.mjs');
      await writeFile(
        app,
        `import { privacyLog, presets, SqliteStore } from ${JSON.stringify(pathToFileURL(join(DIST, 'index.js')).href)};
        import express from ${JSON.stringify(express)};
        const warnings = [];
        const logger = privacyLog({
          policy: presets.strict,
          store: new SqliteStore({ path: ${JSON.stringify(path)} }),
          worker: true,
          logger: { warn: (details) => warnings.push(details.code), error: (details) => warnings.push(details.code), info() {} },
        });
        const app = express();
        app.use(logger);
        app.get('/bundled', (_req, res) => res.send('ok'));
        const server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
        await (await fetch('http://127.0.0.1:' + server.address().port + '/bundled')).text();
        server.close();
        await logger.flush();
        await logger.close();
        console.log(JSON.stringify({ warnings }));`,
      );
      // With a V8 option, which a worker inherits but may not be given explicitly.
      const { stdout } = await run(process.execPath, ['--expose-gc', app], { cwd: dir });
      // Without its worker file the logger would fall back to in-process, saying so.
      expect((JSON.parse(stdout) as { warnings: string[] }).warnings).toEqual([]);
      // The same app as `node --input-type=module -e`: the worker must not inherit those flags.
      const source = (await readFile(app, 'utf8')).replaceAll('/bundled', '/evaluated');
      const evaluated = await run(
        process.execPath,
        ['--expose-gc', '--input-type=module', '-e', source],
        {
          cwd: dir,
        },
      );
      expect((JSON.parse(evaluated.stdout) as { warnings: string[] }).warnings).toEqual([]);
      const db = new Database(path, { readonly: true });
      try {
        const rows = db.prepare('SELECT * FROM access_records ORDER BY time').all();
        expect(rows).toHaveLength(2);
        expect(JSON.stringify(rows[0])).toContain('/bundled');
        expect(JSON.stringify(rows[1])).toContain('/evaluated');
      } finally {
        db.close();
      }
    });
  });
});
