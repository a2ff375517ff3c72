import type { NormalIp } from '../minimize/ip.js';
import { parseAsnCsv, type RangeColumns } from './asn-csv.js';

/**
 * Address ranges and the organisation that announces each, in sorted typed arrays searched by
 * binary search: about 400 000 IPv4 and 100 000 IPv6 ranges take some 13 MB this way, against
 * several hundred MB as objects. Organisation names are stored once each.
 */
export class AsnTable {
  readonly #v4Start: Uint32Array;
  readonly #v4End: Uint32Array;
  readonly #v4Org: Uint32Array;
  /** Four 32-bit words per address, most significant first. */
  readonly #v6Start: Uint32Array;
  readonly #v6End: Uint32Array;
  readonly #v6Org: Uint32Array;
  readonly #names: readonly string[];

  private constructor(v4: RangeColumns, v6: RangeColumns, names: readonly string[]) {
    this.#v4Start = v4.start;
    this.#v4End = v4.end;
    this.#v4Org = v4.org;
    this.#v6Start = v6.start;
    this.#v6End = v6.end;
    this.#v6Org = v6.org;
    this.#names = names;
  }

  /**
   * Builds a table from `asn-ipv4-num.csv` (`start,end,asn,name` with decimal addresses) and
   * `asn-ipv6.csv` (the same with textual IPv6 addresses), given as the files' bytes or as text.
   * Rows that do not parse are skipped. The bytes are scanned in place: the only strings made are
   * the organisation names, one per distinct name, so the load leaves almost no garbage in the
   * heap (the text parser it replaces left some 50 MB of dead line and field strings behind).
   * Parsing yields to the event loop between slices of rows, so a server already answering
   * requests is not stalled for the whole load.
   */
  static async fromCsv(ipv4Num: Uint8Array | string, ipv6: Uint8Array | string): Promise<AsnTable> {
    const { v4, v6, names } = await parseAsnCsv(ipv4Num, ipv6);
    return new AsnTable(v4, v6, names);
  }

  /** Ranges held, per family. */
  get size(): { ipv4: number; ipv6: number } {
    return { ipv4: this.#v4Start.length, ipv6: this.#v6Start.length / 4 };
  }

  /** The organisation announcing `ip`, or undefined for unannounced and reserved space. */
  lookup(ip: NormalIp): string | undefined {
    const b = ip.bytes;
    if (ip.family === 4) {
      const x = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
      const i = lastAtMost(this.#v4Start.length, (k) => this.#v4Start[k]! - x);
      return i >= 0 && x <= this.#v4End[i]! ? this.#names[this.#v4Org[i]!] : undefined;
    }
    const x = new Uint32Array(4);
    for (let w = 0; w < 4; w++) {
      x[w] =
        ((b[w * 4]! << 24) | (b[w * 4 + 1]! << 16) | (b[w * 4 + 2]! << 8) | b[w * 4 + 3]!) >>> 0;
    }
    const starts = this.#v6Start;
    const i = lastAtMost(starts.length / 4, (k) => compare128(starts, k, x));
    return i >= 0 && compare128(this.#v6End, i, x) >= 0 ? this.#names[this.#v6Org[i]!] : undefined;
  }
}

/** Index of the last row whose start is at most the key (`cmp(row) <= 0`), or -1. */
function lastAtMost(rows: number, cmp: (row: number) => number): number {
  let lo = 0;
  let hi = rows - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(mid) <= 0) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Sign of (row `k` of `words`) minus `x`, both 128-bit numbers as four words. */
function compare128(words: Uint32Array, k: number, x: Uint32Array): number {
  for (let w = 0; w < 4; w++) {
    const a = words[k * 4 + w]!;
    const b = x[w]!;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}
