import { describe, expect, it } from 'vitest';
import { RecentValues } from '../src/recent-values.js';

describe('RecentValues', () => {
  it('holds at most its bound, however many keys pass through', () => {
    const cache = new RecentValues<string, number>(100);
    for (let i = 0; i < 10_000; i++) {
      cache.set(`k${i}`, i);
      expect(cache.size).toBeLessThanOrEqual(100);
    }
    // The newest keys are still there; the oldest are gone.
    expect(cache.get('k9999')).toBe(9999);
    expect(cache.get('k0')).toBeUndefined();
  });

  it('never loses a key used again within the last half-bound insertions', () => {
    const cache = new RecentValues<string, string>(10);
    cache.set('returning', 'id');
    for (let round = 0; round < 50; round++) {
      // Four new keys between two uses: fewer than half the bound (5).
      for (let i = 0; i < 4; i++) cache.set(`new-${round}-${i}`, 'x');
      expect(cache.get('returning')).toBe('id');
    }
  });

  it('lets go of a key not used for a whole bound of insertions', () => {
    const cache = new RecentValues<string, string>(10);
    cache.set('once', 'id');
    for (let i = 0; i < 10; i++) cache.set(`new-${i}`, 'x');
    expect(cache.get('once')).toBeUndefined();
  });

  it('refuses a bound below 2', () => {
    expect(() => new RecentValues(1)).toThrow(RangeError);
    expect(() => new RecentValues(2.5)).toThrow(RangeError);
  });
});
