import { describe, expect, it } from 'vitest';
import { redactionBudget } from '../../src/minimize/budget.js';
import { redactUrlPath } from '../../src/minimize/path.js';
import { ELLIPSIS } from '../../src/minimize/text.js';
import { minimizePath } from '../../src/minimize/url.js';

const none = new Set<string>();
const count = (text: string, part: string) => text.split(part).length - 1;

describe('the work per path is bounded, and what the budget cannot pay for is dropped', () => {
  it('looks at no more than maxLength / 4 segments', () => {
    const budget = redactionBudget(2048);
    const out = redactUrlPath('/a7'.repeat(2000), 'ids', 2048, budget);
    expect(budget.cut).toBe(true);
    expect(out.endsWith(`/${ELLIPSIS}`)).toBe(true);
    // The empty segment before the first slash is one of the 512.
    expect(count(out, 'a7')).toBe(511);
  });

  it('looks closely at no more than maxLength / 2 characters, and keeps nothing it did not read', () => {
    const uuid = '3f2504e0-4f89-11d3-9a0c-030512345678';
    const budget = redactionBudget(2048);
    const out = redactUrlPath(`/u/${uuid}`.repeat(200), 'personal', 2048, budget);
    expect(budget.cut).toBe(true);
    expect(out.endsWith(`/${ELLIPSIS}`)).toBe(true);
    // Each look costs its 36 characters and 8 more: 23 fit in 1024.
    expect(count(out, '%5Bredacted%5D')).toBe(23);
    expect(out).not.toMatch(/[0-9a-f]{4}-/);
    // A replaced id costs its length and 8 more: 113 of `/7` fit.
    const ids = redactUrlPath('/7'.repeat(2000), 'ids', 2048);
    expect(count(ids, ':id')).toBe(113);
    expect(ids).not.toMatch(/\d/);
  });

  it('a segment too long to afford is dropped whole, not cut', () => {
    const out = minimizePath(`/a/${'12345678-'.repeat(200)}/b`, none, 2048, 'personal');
    expect(out).toBe(`/a/${ELLIPSIS}`);
  });

  it('past four public-suffix lookups an e-mail-like name is taken for an address', () => {
    const out = minimizePath('/logo@2x.png'.repeat(6), none, 2048, 'ids');
    expect(out).toBe(`${'/logo@2x.png'.repeat(4)}/:email/:email`);
  });

  it('keeps no query after a cut path, and no query value it cannot afford', () => {
    const cut = minimizePath(`${'/7'.repeat(600)}?q=1`, new Set(['q']), 2048, 'ids');
    expect(cut).not.toContain('q=');
    const values = Array.from({ length: 300 }, (_, i) => `q=jane${i}@example.com`).join('&');
    const out = minimizePath(`/s?${values}`, new Set(['q']), 2048, 'ids');
    expect(out).not.toContain('jane');
    expect(count(out, 'q=')).toBeLessThan(300);
  });
});
