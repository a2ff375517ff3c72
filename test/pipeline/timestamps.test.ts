import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IsoTimestamps } from '../../src/pipeline/timestamps.js';

const iso = (ms: number) => new Date(ms).toISOString();
const DAY = 86_400_000;

describe('IsoTimestamps', () => {
  it('writes exactly what Date#toISOString writes', () => {
    const t = new IsoTimestamps();
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
        expect(t.format(ms)).toBe(iso(ms));
      }),
      { numRuns: 20_000 },
    );
  });

  it('gets the edges of days, years and its fast range right', () => {
    const t = new IsoTimestamps();
    for (const ms of [
      0,
      -1,
      1,
      DAY - 1,
      DAY,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2024, 2, 1),
      Date.UTC(1999, 11, 31, 23, 59, 59, 999),
      -62_167_219_200_000, // 0000-01-01T00:00:00.000Z
      -62_167_219_200_001, // the year before: another form
      253_402_300_799_999, // 9999-12-31T23:59:59.999Z
      253_402_300_800_000, // +010000-01-01T00:00:00.000Z
      8.64e15,
      -8.64e15,
    ]) {
      expect(t.format(ms)).toBe(iso(ms));
    }
  });

  it('cuts a fraction of a millisecond off as Date does', () => {
    const t = new IsoTimestamps();
    expect(t.format(1_700_000_000_123.9)).toBe(iso(1_700_000_000_123));
    expect(t.format(-1.5)).toBe(iso(-1));
  });

  it('throws as toISOString does for what Date cannot represent', () => {
    const t = new IsoTimestamps();
    for (const bad of [Number.NaN, 8.64e15 + 1, Number.POSITIVE_INFINITY]) {
      expect(() => t.format(bad)).toThrow(RangeError);
    }
  });

  it('stays right over many days, in any order and repeated (its day cache is bounded)', () => {
    const t = new IsoTimestamps();
    const start = Date.UTC(2025, 0, 1, 12, 34, 56, 789);
    for (let round = 0; round < 3; round++) {
      for (let day = 0; day < 500; day += 1 + round) {
        const ms = start + day * DAY + round * 1_234;
        expect(t.format(ms)).toBe(iso(ms));
        expect(t.format(ms)).toBe(iso(ms));
      }
    }
  });
});
