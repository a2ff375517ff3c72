import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

/**
 * Internal requirement ids: a family letter (signals, cookie, IP, minimisation, retention,
 * transparency) and a number, as in "(P3)" or "S2:". A user cannot look them up, so what users read
 * (the README, docs/, the examples, test names) and the source, whose comments become type hovers, say the rule
 * in words instead. Durations (`P13M`, `PT1M`) and code points (`U+2028`) do not match: the id must
 * stand alone as a word.
 */
const REQUIREMENT_ID = /\b[KMPRST][1-9]\b/;

/** Every file under `dir` whose name ends in one of `extensions`. */
function filesUnder(dir: string, extensions: readonly string[]): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && extensions.some((ext) => entry.name.endsWith(ext))) {
      found.push(relative(ROOT, join(entry.parentPath, entry.name)));
    }
  }
  return found;
}

/** `file:line: text` for each line of `file` that holds a requirement id. */
function idsIn(file: string): string[] {
  return readFileSync(join(ROOT, file), 'utf8')
    .split('\n')
    .flatMap((line, i) => (REQUIREMENT_ID.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
}

describe('no requirement ids in what users read', () => {
  it('the pattern finds ids and leaves durations and code points alone', () => {
    for (const text of ['(P3)', 'S2: an objection', 'as M3 allows', 'price of P4.', '(K1, K4)']) {
      expect(REQUIREMENT_ID.test(text), text).toBe(true);
    }
    for (const text of [
      "'P13M'",
      'PT1M',
      'P1D',
      'U+2028',
      'C1 controls',
      'SHA256',
      'P30D',
      'R10',
    ]) {
      expect(REQUIREMENT_ID.test(text), text).toBe(false);
    }
  });

  const files = [
    'README.md',
    ...filesUnder('docs', ['.md']),
    ...filesUnder('src', ['.ts']),
    ...filesUnder('examples', ['.js', '.mjs', '.ts']),
    // Test names and benchmark output are read too (in a failing run, in a report).
    ...filesUnder('test', ['.ts', '.mjs', '.js']).filter(
      (f) => !f.endsWith('requirement-ids.test.ts'),
    ),
    ...filesUnder('bench', ['.js']),
    ...filesUnder('scripts', ['.mjs', '.js']),
  ];

  it('covers the README, docs/, src/, the examples, the tests and the benchmarks', () => {
    expect(files).toContain('README.md');
    expect(files.filter((f) => f.startsWith('docs/')).length).toBeGreaterThan(3);
    expect(files.filter((f) => f.startsWith('src/')).length).toBeGreaterThan(50);
    expect(files.filter((f) => f.startsWith('test/')).length).toBeGreaterThan(50);
  });

  it('none of them names a requirement by its id', () => {
    expect(files.flatMap(idsIn)).toEqual([]);
  });
});
