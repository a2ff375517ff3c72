import { describe, expect, it } from 'vitest';
import { canonicalTime, isCanonicalIso } from '../../src/shared/iso-time.js';

describe('isCanonicalIso', () => {
  it('accepts what toISOString makes for years 0000 to 9999', () => {
    for (const ms of [0, 1, 1_733_011_200_123, Date.UTC(9999, 11, 31, 23, 59, 59, 999)]) {
      expect(isCanonicalIso(new Date(ms).toISOString())).toBe(true);
    }
    expect(isCanonicalIso(new Date('0000-01-01T00:00:00.000Z').toISOString())).toBe(true);
  });

  it('rejects near misses: other lengths, offsets, separators, non-digits', () => {
    for (const text of [
      '',
      '2025-01-31T12:34:56Z',
      '2025-01-31T12:34:56.789+00:00',
      '2025-01-31 12:34:56.789Z',
      '2025-01-31T12:34:56,789Z',
      '2025-01-31t12:34:56.789z',
      '+012025-01-31T12:34:56.789Z',
      '2025-01-31T12:34:56.789Z ',
      '２025-01-31T12:34:56.789Z',
      '2025/01/31T12:34:56.789Z',
      '2025-0a-31T12:34:56.789Z',
    ]) {
      expect(isCanonicalIso(text), text).toBe(false);
    }
  });
});

describe('canonicalTime', () => {
  it('returns a canonical text as it is, rewrites another parsable time, refuses the rest', () => {
    const text = '2025-01-31T12:34:56.789Z';
    expect(canonicalTime(text)).toBe(text);
    expect(canonicalTime('2025-01-31T13:34:56.789+01:00')).toBe(text);
    expect(canonicalTime('not a time')).toBeUndefined();
  });
});
