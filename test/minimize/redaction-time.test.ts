import { describe, expect, it } from 'vitest';
import { minimizeReferrer } from '../../src/minimize/referrer.js';
import { minimizePath } from '../../src/minimize/url.js';

/**
 * Redaction time grows linearly with the length of hostile input. Not a timing test: it compares
 * the CPU time of one input with that of the same input 16 times longer. Linear work gives about
 * 16x, quadratic about 256x (the JWT pattern this replaced took 0.49 ms at 1 KB and 74 ms at
 * 16 KB); the bound of 48x leaves room for any noise of a shared machine, since each figure is
 * the least of several runs of several calls.
 */

const KB = 1024;
const none = new Set<string>();

/** `unit` repeated to `length` characters after a leading slash. */
const fill = (unit: string, length: number): string =>
  `/${unit.repeat(Math.ceil(length / unit.length))}`.slice(0, length);

// Each aims at a pass: a start that scans ahead and then fails is what makes a pattern quadratic.
const SHAPES: Record<string, string> = {
  'JWT starts': 'eyJ',
  'JWT starts with a dot': 'eyJa.',
  'JWT starts, segments': 'eyJeyJeyJeyJ/',
  'at signs': 'a@',
  'an address without a top-level domain': 'a@b.',
  'addresses with unknown top-level domains': 'a@b.xq ',
  'IPv6 shapes': '1::',
  'IPv6 addresses': '1::1/',
  'IPv4 shapes': '1.',
  'hex runs one short': '0123456789abcdef0123456789abcde-',
  'digit runs one short': '12345678-',
  'path parameters': ';a=',
  'encoded at signs': '%40a',
  mixed: 'a1@b.c-1.2.3.4:5::6-eyJ.',
};

/** CPU microseconds per call of `run(input)` over `calls` calls. */
function cpuPerCall(run: (input: string) => unknown, input: string, calls: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i++) run(input);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / calls;
}

/** How many times longer one call on 16 KB takes than one on 1 KB: the least of several rounds. */
function growth(run: (input: string) => unknown, unit: string): number {
  const small = fill(unit, KB);
  const large = fill(unit, 16 * KB);
  // Both compiled and warm before either is measured.
  for (let i = 0; i < 64; i++) run(small);
  for (let i = 0; i < 4; i++) run(large);
  let bestSmall = Number.POSITIVE_INFINITY;
  let bestLarge = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 9; round++) {
    bestSmall = Math.min(bestSmall, cpuPerCall(run, small, 16));
    bestLarge = Math.min(bestLarge, cpuPerCall(run, large, 1));
  }
  return bestLarge / Math.max(bestSmall, 1);
}

// No cut: the whole input is redacted, so the measure is the algorithm's, not the bound's.
const UNBOUNDED = 1_000_000;

const RUNS: Record<string, (input: string) => unknown> = {
  'path, no route (ids)': (input) => minimizePath(input, none, UNBOUNDED, 'ids'),
  'path, matched route (personal)': (input) => minimizePath(input, none, UNBOUNDED, 'personal'),
  'path, as stored (2048 characters)': (input) => minimizePath(input, none, 2048, 'ids'),
  'query value': (input) => minimizePath(`/s?q=${input}`, new Set(['q']), UNBOUNDED, 'ids'),
  'referrer path (full)': (input) =>
    minimizeReferrer(`https://other.example${input}`, 'example.com', 'full', UNBOUNDED),
};

describe.each(Object.entries(RUNS))('redaction time is linear: %s', (_name, run) => {
  it.each(Object.entries(SHAPES))('%s', (_shape, unit) => {
    expect(growth(run, unit)).toBeLessThan(48);
  });
});
