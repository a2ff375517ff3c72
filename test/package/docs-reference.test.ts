import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { optionsSchema } from '../../src/options.js';
import { policySchema } from '../../src/policy/schema.js';
import { WARNING_CODES } from '../../src/policy/warnings.js';
import { fencedCodeBlocks } from '../helpers/markdown-code.js';

const ROOT = join(import.meta.dirname, '../..');
const read = (page: string) => readFileSync(join(ROOT, page), 'utf8');

/** Wrappers that leave an object's keys as they are. */
const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable']);

/**
 * Every key of a zod object schema as a dotted path (`categories.client.ip.mode`), parents before
 * their children. Unions and other non-objects end the walk: their values are described in words.
 */
function keyPaths(schema: z.core.$ZodType, prefix = ''): { path: string; leaf: boolean }[] {
  let def = schema._zod.def as z.core.$ZodTypeDef & { innerType?: z.core.$ZodType };
  while (WRAPPERS.has(def.type) && def.innerType) {
    def = def.innerType._zod.def as typeof def;
  }
  if (def.type !== 'object') return [];
  const shape = (def as z.core.$ZodObjectDef).shape;
  return Object.entries(shape).flatMap(([key, child]) => {
    const below = keyPaths(child, `${prefix}${key}.`);
    return [{ path: `${prefix}${key}`, leaf: below.length === 0 }, ...below];
  });
}

/**
 * The keys the pages do not document. A key is documented where its whole path is named in code
 * (`` `categories.client.geo` ``), or where its parent is named and the key itself is too, as in
 * "every category has `purposes`" under `categories.client`. An object is documented through its
 * keys.
 */
function undocumented(schema: z.core.$ZodType, pages: readonly string[]): string[] {
  const text = pages.map(read).join('\n');
  const named = (name: string) => text.includes(`\`${name}\``);
  return keyPaths(schema)
    .filter(({ leaf }) => leaf)
    .map(({ path }) => path)
    .filter((path) => {
      if (named(path)) return false;
      const cut = path.lastIndexOf('.');
      return cut < 0 || !(named(path.slice(0, cut)) && named(path.slice(cut + 1)));
    });
}

describe('the reference pages name every key the code accepts', () => {
  it('the walk finds the keys, nested ones included', () => {
    const paths = keyPaths(policySchema).map((k) => k.path);
    expect(paths).toContain('categories.client.ip.mode');
    expect(paths).toContain('signals.gpc');
    expect(keyPaths(optionsSchema).map((k) => k.path)).toContain('queue.maxRecords');
  });

  it('docs/options.md documents every option', () => {
    expect(undocumented(optionsSchema, ['docs/options.md'])).toEqual([]);
  });

  it('docs/policy.md documents every policy key (detectors in docs/security-investigations.md)', () => {
    expect(
      undocumented(policySchema, ['docs/policy.md', 'docs/security-investigations.md']),
    ).toEqual([]);
  });

  it('docs/policy.md lists every warning code', () => {
    const page = read('docs/policy.md');
    const missing = Object.keys(WARNING_CODES).filter((code) => !page.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });
});

describe('docs/record.md', () => {
  // Inside the package, like the code-block checks; ignored by git and removed afterwards.
  const scratch = mkdtempSync(join(ROOT, '.readme-blocks-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('shows the record type the package exports, field for field', async () => {
    const shown = fencedCodeBlocks(read('docs/record.md')).filter(
      (b) => b.lang === 'ts' && b.code.includes('interface AccessRecord'),
    );
    expect(shown).toHaveLength(1);
    // Identical types, not merely assignable ones: a field added, dropped, renamed, retyped or made
    // optional on either side fails the check.
    const check = `${shown[0]?.code}
import type { AccessRecord as Exported } from '../src/record.js';
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
export const same: Same<AccessRecord, Exported> = true;
`;
    writeFileSync(join(scratch, 'record.ts'), check);
    const config = {
      extends: '../tsconfig.json',
      compilerOptions: { noEmit: true, rootDir: '..' },
      include: ['record.ts'],
    };
    writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify(config));
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const errors = await promisify(execFile)(process.execPath, [tsc, '-p', scratch]).then(
      () => '',
      (err: { stdout?: string; message: string }) => err.stdout || err.message,
    );
    expect(errors).toBe('');
  });
});
