import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { RotatingKey } from '../../src/minimize/rotating-key.js';

const DAY = 86_400_000;
const opened: RotatingKey[] = [];

/** A key on a hand-moved clock, whose key buffers the test keeps. */
function setup(start = Date.UTC(2025, 0, 15, 12)) {
  const clock = { time: start };
  const issued: Buffer[] = [];
  const key = new RotatingKey({
    periodMs: DAY,
    now: () => clock.time,
    randomBytes: (size) => {
      const buffer = randomBytes(size);
      issued.push(buffer);
      return buffer;
    },
  });
  opened.push(key);
  return { clock, issued, key };
}

afterEach(() => {
  for (const key of opened.splice(0)) key.close();
});

describe('RotatingKey', () => {
  it('gives the same 22-character base64url hmac within a period', () => {
    const { clock, key } = setup();
    const first = key.hmac('203.0.113.7');
    expect(first).toMatch(/^[A-Za-z0-9_-]{22}$/);
    clock.time += 6 * 3_600_000;
    expect(key.hmac('203.0.113.7')).toBe(first);
    expect(key.hmac('203.0.113.8')).not.toBe(first);
  });

  it('numbers periods from the Unix epoch, so a daily key turns at 00:00 UTC', () => {
    const { clock, key } = setup(Date.UTC(2025, 0, 15, 23, 59, 59, 999));
    expect(key.keyId()).toBe(Math.floor(Date.UTC(2025, 0, 15) / DAY));
    const before = key.hmac('x');
    clock.time += 1;
    expect(key.keyId()).toBe(Math.floor(Date.UTC(2025, 0, 16) / DAY));
    expect(key.hmac('x')).not.toBe(before);
  });

  it('uses a new random key in the next period', () => {
    const { clock, issued, key } = setup();
    const today = key.hmac('visitor');
    clock.time += DAY;
    const tomorrow = key.hmac('visitor');
    expect(tomorrow).not.toBe(today);
    expect(issued).toHaveLength(2);
    expect(issued[0]?.equals(issued[1]!)).toBe(false);
  });

  it('zero-fills and drops the old key when the period changes', () => {
    const { clock, issued, key } = setup();
    const period = key.keyId();
    key.hmac('a');
    expect(key.hasKeyFor(period)).toBe(true);
    expect(issued[0]?.some((byte) => byte !== 0)).toBe(true);

    clock.time += DAY;
    key.hmac('a');
    expect(issued[0]?.every((byte) => byte === 0)).toBe(true);
    expect(key.hasKeyFor(period)).toBe(false);
    expect(key.hasKeyFor(period + 1)).toBe(true);
  });

  it("cannot recompute an old period's hmac after going back in time", () => {
    const { clock, key } = setup();
    const old = key.hmac('a');
    clock.time += DAY;
    key.hmac('a');
    clock.time -= DAY;
    expect(key.hmac('a')).not.toBe(old);
  });

  it('destroys an idle key at the period end without being used', async () => {
    const issued: Buffer[] = [];
    const key = new RotatingKey({
      periodMs: 40,
      randomBytes: (size) => {
        const buffer = randomBytes(size);
        issued.push(buffer);
        return buffer;
      },
    });
    opened.push(key);
    key.hmac('a');
    const period = key.keyId();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(key.hasKeyFor(period)).toBe(false);
    expect(issued[0]?.every((byte) => byte === 0)).toBe(true);
  });

  it('destroys the key on close and refuses to hash afterwards', () => {
    const { issued, key } = setup();
    key.hmac('a');
    key.close();
    expect(issued[0]?.every((byte) => byte === 0)).toBe(true);
    expect(key.hasKeyFor(key.keyId())).toBe(false);
    expect(() => key.hmac('a')).toThrow(/closed/);
    key.close();
  });

  it('keys differ between instances', () => {
    const a = setup().key;
    const b = setup().key;
    expect(a.hmac('same')).not.toBe(b.hmac('same'));
  });

  it('rejects a period that is not a positive whole number', () => {
    for (const periodMs of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new RotatingKey({ periodMs })).toThrow(RangeError);
    }
  });

  it('rejects a key source that returns the wrong size', () => {
    const key = new RotatingKey({ periodMs: DAY, randomBytes: () => Buffer.alloc(8) });
    opened.push(key);
    expect(() => key.hmac('a')).toThrow(/32 bytes/);
  });
});
