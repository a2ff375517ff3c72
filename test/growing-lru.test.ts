import fc from 'fast-check';
import { LRUCache } from 'lru-cache';
import { describe, expect, it } from 'vitest';
import { GrowingLru } from '../src/growing-lru.js';

type Op = { kind: 'get' | 'has' | 'set'; key: number; value: number };

const op = (keys: number): fc.Arbitrary<Op> =>
  fc.record({
    kind: fc.constantFrom('get' as const, 'has' as const, 'set' as const),
    key: fc.integer({ min: 0, max: keys - 1 }),
    value: fc.integer(),
  });

describe('GrowingLru', () => {
  it('keeps and evicts exactly what an LRU of the same size does, while it grows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 700 }),
        fc.integer({ min: 2, max: 1500 }),
        fc.array(op(1500), { minLength: 1, maxLength: 3000 }),
        (max, keys, ops) => {
          const grown = new GrowingLru<number, number>(max);
          const plain = new LRUCache<number, number>({ max });
          for (const { kind, key: raw, value } of ops) {
            const key = raw % keys;
            if (kind === 'set') {
              grown.set(key, value);
              plain.set(key, value);
            } else {
              expect(grown[kind](key)).toBe(plain[kind](key));
            }
            expect(grown.size).toBe(plain.size);
          }
          // The same entries, in the same order of recency.
          for (const [key, value] of plain.entries()) expect(grown.get(key)).toBe(value);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('holds no more than max once full, evicting the least recently used', () => {
    const cache = new GrowingLru<string, number>(100);
    for (let i = 0; i < 100; i++) cache.set(`k${i}`, i);
    expect(cache.get('k0')).toBe(0);
    cache.set('new', -1);
    expect(cache.size).toBe(100);
    expect(cache.has('k0')).toBe(true);
    expect(cache.has('k1')).toBe(false);
  });

  it('refuses a size that is not a whole number of at least one', () => {
    for (const max of [0, -1, 1.5, Number.NaN])
      expect(() => new GrowingLru(max)).toThrow(RangeError);
  });
});
