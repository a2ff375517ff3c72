import { describe, expect, it } from 'vitest';
import { murmur3 } from '../../src/reports/hash.js';
import { HLL_STANDARD_ERROR, HyperLogLog } from '../../src/reports/hyperloglog.js';
import {
  addLatency,
  binUpperEdge,
  latencyBin,
  latencyQuantile,
} from '../../src/reports/latency-histogram.js';

function sketch(from: number, to: number): HyperLogLog {
  const hll = new HyperLogLog();
  for (let i = from; i < to; i++) hll.add(`id-${i}`);
  return hll;
}

describe('HyperLogLog', () => {
  it('matches the MurmurHash3 x86_32 reference values', () => {
    // Reference: murmur3_32 of the UTF-16LE bytes; '' with seed 0 is 0, with seed 1 is 0x514e28b7.
    expect(murmur3('', 0)).toBe(0);
    expect(murmur3('', 1)).toBe(0x514e28b7);
  });

  it('estimates within three standard errors from ten to half a million', () => {
    expect(HLL_STANDARD_ERROR).toBeCloseTo(0.0081, 4);
    for (const n of [10, 1_000, 20_000, 50_000, 500_000]) {
      const estimate = sketch(0, n).estimate();
      expect(Math.abs(estimate - n) / n).toBeLessThan(3 * HLL_STANDARD_ERROR);
    }
    expect(new HyperLogLog().estimate()).toBe(0);
  });

  it('merges to the sketch of the union, and adding again changes nothing', () => {
    const merged = sketch(0, 30_000).merge(sketch(20_000, 60_000));
    expect(merged.registers).toEqual(sketch(0, 60_000).registers);
    const again = sketch(0, 100);
    again.add('id-5');
    expect(again.registers).toEqual(sketch(0, 100).registers);
  });

  it('round-trips its sparse and dense byte forms, and refuses anything else', () => {
    for (const hll of [new HyperLogLog(), sketch(0, 50), sketch(0, 100_000)]) {
      expect(HyperLogLog.deserialize(hll.serialize()).registers).toEqual(hll.registers);
    }
    expect(sketch(0, 50).serialize().length).toBeLessThan(200);
    expect(() => HyperLogLog.deserialize(new Uint8Array([9, 14, 0]))).toThrow(TypeError);
    expect(() => HyperLogLog.deserialize(new Uint8Array([1, 14, 1, 0]))).toThrow(TypeError);
    expect(() => HyperLogLog.deserialize(new Uint8Array([1, 14, 0, 0xff, 0xff, 1]))).toThrow(
      TypeError,
    );
  });
});

describe('latency histogram', () => {
  it('puts a duration in a bin whose upper edge is at most 2 % above it', () => {
    for (const ms of [1, 1.5, 3, 17, 250, 999, 60_000]) {
      const edge = binUpperEdge(latencyBin(ms));
      expect(edge).toBeGreaterThan(ms);
      expect(edge).toBeLessThanOrEqual(ms * 1.02 + 1e-9);
    }
    expect(latencyBin(0.2)).toBe(0);
    expect(latencyBin(Number.NaN)).toBe(0);
  });

  it('answers quantiles from the bins', () => {
    const histogram: Record<string, number> = {};
    for (let ms = 1; ms <= 100; ms++) addLatency(histogram, ms);
    expect(latencyQuantile(histogram, 0.5)).toBeGreaterThanOrEqual(50);
    expect(latencyQuantile(histogram, 0.5)).toBeLessThanOrEqual(51);
    expect(latencyQuantile({}, 0.5)).toBeUndefined();
  });
});
