import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { presets } from '../../src/index.js';
import { SEED_MAPPING } from './seed-mapping.js';

function at(root: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], root);
}

describe('presets.classic carries out every collection statement of the seed policy', () => {
  it.each(SEED_MAPPING.map((row) => [row.setting, row] as const))('%s', (_setting, row) => {
    expect(at(presets.classic, row.setting)).toEqual(row.value);
  });

  it('docs/seed-mapping.md lists every row of the table the test checks', () => {
    const doc = readFileSync(new URL('../../docs/seed-mapping.md', import.meta.url), 'utf8');
    for (const row of SEED_MAPPING) expect(doc, row.setting).toContain(`\`${row.setting}\``);
  });
});
