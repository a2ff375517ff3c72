import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { type CodeBlock, fencedCodeBlocks } from '../helpers/markdown-code.js';

const ROOT = join(import.meta.dirname, '../..');
const PROBE = join(ROOT, 'test/fixtures/readme-listen-probe.mjs');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
// The blocks import `express-privacy-log` by name, as a reader's code does: Node resolves the name
// to this package's build through its `exports` (a package may import itself by name).
if (!existsSync(join(ROOT, 'dist/index.js'))) {
  throw new Error('dist/ is missing: run `npm run build` first (the code blocks import it)');
}

const JS = new Set(['js', 'mjs', 'javascript']);
const TS = new Set(['ts', 'typescript']);
/** The README and every page of docs/: what a reader copies from. */
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const blocksOf = (page: string) => fencedCodeBlocks(readFileSync(join(ROOT, page), 'utf8'));
/** Blocks this file checks: JavaScript, TypeScript and JSON (shell and text are shown, not run). */
const checked = (b: CodeBlock) => JS.has(b.lang) || TS.has(b.lang) || b.lang === 'json';
const isFragment = (b: CodeBlock) => b.flags.includes('fragment');

// Inside the package, so that the name resolves; removed after the run (and ignored by git).
const scratch = mkdtempSync(join(ROOT, '.readme-blocks-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A directory of its own for one block: the default store writes `access-log.sqlite` there. */
function blockDir(page: string, b: CodeBlock): string {
  const dir = join(scratch, `${basename(page, '.md')}-${b.line}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Resolves when the child exits, with what it printed. */
function exited(child: ChildProcess, out: { stdout: string; stderr: string }): Promise<Outcome> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, ...out }));
  });
}

/** The port a server block listens on, or `undefined` once the block has exited without one. */
function listening(
  child: ChildProcess,
  text: { stdout: string },
  ended: Promise<Outcome>,
): Promise<number | undefined> {
  return new Promise((resolve) => {
    child.stdout?.on('data', () => {
      const found = /LISTENING (\d+)/.exec(text.stdout);
      if (found) resolve(Number(found[1]));
    });
    void ended.then(() => resolve(undefined));
  });
}

/** What a visitor sends a server started by a README block: each answer must be below 500. */
const VISIT: { method: string; path: string; form?: string }[] = [
  { method: 'GET', path: '/' },
  { method: 'POST', path: '/contact' }, // no body at all
  { method: 'POST', path: '/contact', form: 'name=Ann&email=ann%40example.org' },
  { method: 'GET', path: '/privacy/status' },
];

async function visit(port: number): Promise<number[]> {
  const statuses: number[] = [];
  for (const step of VISIT) {
    const res = await fetch(`http://127.0.0.1:${port}${step.path}`, {
      method: step.method,
      ...(step.form === undefined
        ? {}
        : {
            body: step.form,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          }),
    });
    await res.arrayBuffer();
    statuses.push(res.status);
  }
  return statuses;
}

it('the README has blocks of each kind the checks below run', () => {
  const blocks = blocksOf('README.md');
  expect(blocks.some((b) => JS.has(b.lang) && !isFragment(b))).toBe(true);
  expect(blocks.some((b) => TS.has(b.lang) && !isFragment(b))).toBe(true);
  expect(blocks.some((b) => b.lang === 'json')).toBe(true);
});

const withCode = PAGES.filter((page) => blocksOf(page).some(checked));

describe.each(withCode)('code blocks of %s', (page) => {
  for (const b of blocksOf(page).filter(checked)) {
    if ((JS.has(b.lang) || TS.has(b.lang)) && isFragment(b)) {
      it.skip(`line ${b.line}: a fragment (marked \`${b.lang} fragment\`), not a program of its own`, () => {});
    } else if (b.lang === 'json') {
      it(`line ${b.line}: JSON parses`, () => {
        expect(() => JSON.parse(b.code)).not.toThrow();
      });
    } else if (TS.has(b.lang)) {
      it(`line ${b.line}: TypeScript type-checks under the project's strict settings`, async () => {
        const dir = blockDir(page, b);
        writeFileSync(join(dir, 'block.ts'), b.code);
        const config = {
          extends: '../../tsconfig.json',
          compilerOptions: { noEmit: true, rootDir: '.' },
          include: ['block.ts'],
        };
        writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
        const check = await promisify(execFile)(process.execPath, [TSC, '-p', dir], {
          cwd: dir,
        }).then(
          () => '',
          (err: { stdout?: string; message: string }) => err.stdout || err.message,
        );
        expect(check).toBe('');
      });
    } else if (JS.has(b.lang)) {
      it(`line ${b.line}: runs against the built package`, async () => {
        const dir = blockDir(page, b);
        writeFileSync(join(dir, 'block.mjs'), b.code);
        const child = spawn(process.execPath, ['--import', PROBE, 'block.mjs'], {
          cwd: dir,
          env: {
            ...process.env,
            PORT: '0',
            NODE_ENV: 'test',
            COOKIE_SECRET: 'readme-check-secret-0123456789abcdef',
          },
        });
        const text = { stdout: '', stderr: '' };
        child.stdout.on('data', (d: Buffer) => {
          text.stdout += d.toString();
        });
        child.stderr.on('data', (d: Buffer) => {
          text.stderr += d.toString();
        });
        const ended = exited(child, text);
        // A block that hangs or a failed request must not leave its process behind.
        onTestFinished(() => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        });
        const port = await listening(child, text, ended);
        if (port === undefined) {
          const result = await ended;
          expect(result.code, result.stderr).toBe(0);
          return;
        }
        // A server: a visitor's requests, then the shutdown the block describes.
        const statuses = await visit(port);
        child.kill('SIGTERM');
        const result = await ended;
        expect(
          statuses.every((s) => s < 500),
          `statuses ${statuses.join(', ')}`,
        ).toBe(true);
        expect(result.code, result.stderr).toBe(0);
        const file = join(dir, 'access-log.sqlite');
        if (!existsSync(file)) return;
        // On SIGTERM the block writes what is buffered: one record per request, and the e-mail
        // sent without consent (the default policy asks for it) is in none of them.
        const db = new Database(file, { readonly: true });
        const stored = (
          db.prepare('SELECT record FROM access_records').all() as { record: string }[]
        ).map((row) => row.record);
        db.close();
        expect(stored).toHaveLength(VISIT.length);
        expect(stored.filter((r) => r.includes('"/contact"'))).toHaveLength(2);
        expect(stored.join('\n')).not.toContain('ann@example.org');
      });
    }
  }
});
