// The text parser that AsnTable used before it scanned the files' bytes, kept unchanged (but for
// the class's name and the import paths) as the reference that test/enrich/asn-table.test.ts
// checks the byte parser against: same ranges, same names, same answer for every address.
import type { NormalIp } from '../../src/minimize/ip.js';
import { cleanText } from '../../src/minimize/text.js';

/**
 * Address ranges and the organisation that announces each, in sorted typed arrays searched by
 * binary search: about 400 000 IPv4 and 100 000 IPv6 ranges take some 13 MB this way, against
 * several hundred MB as objects. Organisation names are stored once each.
 */
export class TextAsnTable {
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
   * Builds a table from the CSV text of `asn-ipv4-num.csv` (`start,end,asn,name` with decimal
   * addresses) and `asn-ipv6.csv` (the same with textual IPv6 addresses). Rows that do not parse
   * are skipped. Parsing yields to the event loop between slices of rows, so a server already
   * answering requests is not stalled for the whole load.
   */
  static async fromCsv(ipv4Num: string, ipv6: string): Promise<TextAsnTable> {
    const names = new NameIndex();
    const v4 = await parseRows(ipv4Num, 1, parseV4Num, names);
    const v6 = await parseRows(ipv6, 4, parseV6Text, names);
    return new TextAsnTable(v4, v6, names.list);
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

interface RangeColumns {
  start: Uint32Array;
  end: Uint32Array;
  org: Uint32Array;
}

class NameIndex {
  readonly list: string[] = [];
  readonly #index = new Map<string, number>();

  id(name: string): number {
    let id = this.#index.get(name);
    if (id === undefined) {
      id = this.list.length;
      // A copy, not a slice: V8 keeps a sliced string's whole parent (the 20 MB file) alive.
      this.list.push(Buffer.from(cleanText(name, 128), 'utf8').toString('utf8'));
      this.#index.set(name, id);
    }
    return id;
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

type AddressParser = (text: string, out: Uint32Array, at: number) => boolean;

const SLICE_ROWS = 50_000;

async function parseRows(
  csv: string,
  words: number,
  parseAddress: AddressParser,
  names: NameIndex,
): Promise<RangeColumns> {
  let capacity = 1024;
  let start = new Uint32Array(capacity * words);
  let end = new Uint32Array(capacity * words);
  let org = new Uint32Array(capacity);
  let rows = 0;
  let sorted = true;
  let pos = 0;
  let sinceYield = 0;
  while (pos < csv.length) {
    let eol = csv.indexOf('\n', pos);
    if (eol === -1) eol = csv.length;
    const line = csv.charCodeAt(eol - 1) === 13 ? csv.slice(pos, eol - 1) : csv.slice(pos, eol);
    pos = eol + 1;
    const fields = splitRow(line);
    if (fields === undefined) continue;
    if (rows === capacity) {
      capacity *= 2;
      start = grow(start, capacity * words);
      end = grow(end, capacity * words);
      org = grow(org, capacity);
    }
    if (
      !parseAddress(fields[0], start, rows * words) ||
      !parseAddress(fields[1], end, rows * words)
    ) {
      continue;
    }
    if (rows > 0 && compareRows(start, rows - 1, rows, words) > 0) sorted = false;
    org[rows] = names.id(fields[3]);
    rows++;
    if (++sinceYield === SLICE_ROWS) {
      sinceYield = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const columns = {
    start: start.slice(0, rows * words),
    end: end.slice(0, rows * words),
    org: org.slice(0, rows),
  };
  return sorted ? columns : sortRows(columns, rows, words);
}

function grow(array: Uint32Array, length: number): Uint32Array<ArrayBuffer> {
  const next = new Uint32Array(length);
  next.set(array);
  return next;
}

function compareRows(words: Uint32Array, a: number, b: number, width: number): number {
  for (let w = 0; w < width; w++) {
    const x = words[a * width + w]!;
    const y = words[b * width + w]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function sortRows(columns: RangeColumns, rows: number, width: number): RangeColumns {
  const order = Array.from({ length: rows }, (_, i) => i);
  order.sort((a, b) => compareRows(columns.start, a, b, width));
  const out = {
    start: new Uint32Array(rows * width),
    end: new Uint32Array(rows * width),
    org: new Uint32Array(rows),
  };
  order.forEach((from, to) => {
    out.start.set(columns.start.subarray(from * width, from * width + width), to * width);
    out.end.set(columns.end.subarray(from * width, from * width + width), to * width);
    out.org[to] = columns.org[from]!;
  });
  return out;
}

/** `start,end,asn,name` where name may be quoted (with `""` for a quote); undefined if malformed. */
function splitRow(line: string): [string, string, string, string] | undefined {
  const a = line.indexOf(',');
  const b = a === -1 ? -1 : line.indexOf(',', a + 1);
  const c = b === -1 ? -1 : line.indexOf(',', b + 1);
  if (c === -1) return undefined;
  let name = line.slice(c + 1);
  if (name.startsWith('"')) {
    if (!name.endsWith('"') || name.length < 2) return undefined;
    name = name.slice(1, -1).replaceAll('""', '"');
  }
  if (name === '') return undefined;
  return [line.slice(0, a), line.slice(a + 1, b), line.slice(b + 1, c), name];
}

function parseV4Num(text: string, out: Uint32Array, at: number): boolean {
  if (!/^\d{1,10}$/.test(text)) return false;
  const n = Number(text);
  if (n > 0xffffffff) return false;
  out[at] = n;
  return true;
}

const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

/** Textual IPv6 (without an embedded IPv4 part) into four words; false if malformed. */
function parseV6Text(text: string, out: Uint32Array, at: number): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 2 && halves[1] !== '' ? halves[1]!.split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return false;
  const groups = [...head, ...new Array<string>(missing).fill('0'), ...tail];
  for (let w = 0; w < 4; w++) {
    const hi = groups[w * 2]!;
    const lo = groups[w * 2 + 1]!;
    if (!HEX_GROUP.test(hi) || !HEX_GROUP.test(lo)) return false;
    out[at + w] = ((Number.parseInt(hi, 16) << 16) | Number.parseInt(lo, 16)) >>> 0;
  }
  return true;
}
