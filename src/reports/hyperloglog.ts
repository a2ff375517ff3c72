import { HASH_SEEDS, murmur3 } from './hash.js';

/** Register index bits: 2^14 registers, a standard error of 1.04 / sqrt(16384), about 0.81 %. */
export const HLL_PRECISION = 14;
const M = 1 << HLL_PRECISION;
/** Hash bits left for the rank after the index: 18 from the first word and 32 from the second. */
const Q = 64 - HLL_PRECISION;
/** The relative standard error of an estimate, stated in the documentation and tested. */
export const HLL_STANDARD_ERROR = 1.04 / Math.sqrt(M);

const FORMAT_VERSION = 1;
const SPARSE = 0;
const DENSE = 1;
/** Below this many set registers the sparse form (3 bytes each) is smaller than the dense one. */
const SPARSE_LIMIT = Math.floor(M / 3);

/**
 * A HyperLogLog sketch of distinct strings (visitor ids), with the estimator of Ertl ("New
 * cardinality estimation algorithms for HyperLogLog sketches", 2017), which needs no bias tables
 * and stays unbiased from a handful of items to billions. Sketches merge by taking each register's
 * maximum, so a month's uniques are the merge of its days'. A sketch holds no id: only, per
 * register, the longest run of zero bits seen.
 */
export class HyperLogLog {
  readonly registers: Uint8Array;

  constructor(registers?: Uint8Array) {
    this.registers = registers ?? new Uint8Array(M);
  }

  /** Count `value` (adding it again changes nothing). */
  add(value: string): void {
    // 64 bits from two 32-bit hashes, without an array per call: this runs once per page view.
    const high = murmur3(value, HASH_SEEDS[0]);
    const low = murmur3(value, HASH_SEEDS[1]);
    const index = high >>> (32 - HLL_PRECISION);
    // The 50 bits after the index: 18 from `high`, then the 32 of `low`.
    const rest18 = high & ((1 << (32 - HLL_PRECISION)) - 1);
    let rank: number;
    if (rest18 !== 0) rank = Math.clz32(rest18) - HLL_PRECISION + 1;
    else if (low !== 0) rank = 32 - HLL_PRECISION + Math.clz32(low) + 1;
    else rank = Q + 1;
    if (rank > this.registers[index]!) this.registers[index] = rank;
  }

  /** Fold `other` into this sketch. */
  merge(other: HyperLogLog): this {
    const mine = this.registers;
    const theirs = other.registers;
    for (let i = 0; i < M; i++) {
      if (theirs[i]! > mine[i]!) mine[i] = theirs[i]!;
    }
    return this;
  }

  /** True when nothing was added. */
  isEmpty(): boolean {
    return this.registers.every((value) => value === 0);
  }

  /** The estimated number of distinct values added, rounded. */
  estimate(): number {
    const counts = new Array<number>(Q + 2).fill(0);
    for (let i = 0; i < M; i++) counts[this.registers[i]!]!++;
    if (counts[0] === M) return 0;
    let z = M * tau(1 - counts[Q + 1]! / M);
    for (let k = Q; k >= 1; k--) z = 0.5 * (z + counts[k]!);
    z += M * sigma(counts[0]! / M);
    return Math.round((M * M) / (2 * Math.LN2) / z);
  }

  /** A compact, stable byte form: sparse (index, value) triples while few registers are set. */
  serialize(): Uint8Array {
    let set = 0;
    for (let i = 0; i < M; i++) if (this.registers[i] !== 0) set++;
    if (set >= SPARSE_LIMIT) {
      const out = new Uint8Array(3 + M);
      out.set([FORMAT_VERSION, HLL_PRECISION, DENSE]);
      out.set(this.registers, 3);
      return out;
    }
    const out = new Uint8Array(3 + set * 3);
    out.set([FORMAT_VERSION, HLL_PRECISION, SPARSE]);
    let at = 3;
    for (let i = 0; i < M; i++) {
      const value = this.registers[i]!;
      if (value === 0) continue;
      out[at++] = i >>> 8;
      out[at++] = i & 0xff;
      out[at++] = value;
    }
    return out;
  }

  /** Read a sketch written by {@link serialize}; throws on anything else. */
  static deserialize(bytes: Uint8Array): HyperLogLog {
    if (bytes.length < 3 || bytes[0] !== FORMAT_VERSION || bytes[1] !== HLL_PRECISION) {
      throw new TypeError('not a HyperLogLog sketch of this version and precision');
    }
    const registers = new Uint8Array(M);
    if (bytes[2] === DENSE) {
      if (bytes.length !== 3 + M) throw new TypeError('truncated HyperLogLog sketch');
      registers.set(bytes.subarray(3));
    } else {
      if ((bytes.length - 3) % 3 !== 0) throw new TypeError('truncated HyperLogLog sketch');
      for (let at = 3; at < bytes.length; at += 3) {
        const index = (bytes[at]! << 8) | bytes[at + 1]!;
        if (index >= M) throw new TypeError('HyperLogLog register out of range');
        registers[index] = Math.min(bytes[at + 2]!, Q + 1);
      }
    }
    return new HyperLogLog(registers);
  }
}

function sigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let y = 1;
  let z = x;
  let previous: number;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (previous !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let previous: number;
  do {
    x = Math.sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
  } while (previous !== z);
  return z / 3;
}
