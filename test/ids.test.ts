import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../src/ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The 48-bit millisecond timestamp at the front of a UUIDv7. */
const timeOf = (id: string) => Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);

describe('uuidv7', () => {
  it('has the RFC 9562 layout: version 7, variant 10', () => {
    for (let i = 0; i < 100; i++) expect(uuidv7(Date.now())).toMatch(UUID_V7);
  });

  it('carries the millisecond it was made for, across the whole 48-bit range', () => {
    for (const ms of [
      0,
      1,
      255,
      256,
      65_535,
      65_536,
      1_700_000_000_123,
      2 ** 40 + 7,
      2 ** 48 - 1,
    ]) {
      expect(timeOf(uuidv7(ms))).toBe(ms);
    }
  });

  it('sorts by time as text', () => {
    const base = Date.UTC(2025, 5, 1);
    const times = [5, 1, 4, 2, 3].map((n) => base + n * 1000);
    const ids = times.map((ms) => uuidv7(ms));
    expect([...ids].sort().map(timeOf)).toEqual([...times].sort((a, b) => a - b));
  });

  it('never repeats, also across refills of its block of random bytes', () => {
    const ms = Date.now();
    const ids = Array.from({ length: 2000 }, () => uuidv7(ms));
    expect(new Set(ids).size).toBe(ids.length);
    // Ids of the same millisecond differ in their random bits, not only in a few of them.
    const randomParts = new Set(ids.map((id) => id.slice(15)));
    expect(randomParts.size).toBe(ids.length);
  });
});
