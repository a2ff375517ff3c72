import { cleanText } from '../minimize/text.js';

/**
 * The byte parser of the ASN data files behind `AsnTable`: `asn-ipv4-num.csv`
 * (`start,end,asn,name` with decimal addresses) and `asn-ipv6.csv` (textual IPv6 addresses). The
 * bytes are scanned in place: the only strings made are the organisation names, one per distinct
 * name, so a load leaves almost no garbage in the heap (the text parser it replaced left some
 * 50 MB of dead line and field strings behind). Rows that do not parse are skipped. It yields to
 * the event loop between slices of rows, so a server already answering requests is not stalled
 * for the whole load.
 */

/** Both files' ranges and the organisation names their ids point into. */
export async function parseAsnCsv(
  ipv4Num: Uint8Array | string,
  ipv6: Uint8Array | string,
): Promise<{ v4: RangeColumns; v6: RangeColumns; names: readonly string[] }> {
  const names = new NameIndex();
  const v4 = await parseRows(bytesOf(ipv4Num), 1, parseV4Num, names);
  const v6 = await parseRows(bytesOf(ipv6), 4, parseV6Text, names);
  return { v4, v6, names: names.list };
}

/** One family's ranges: start, end (one or four words each) and organisation id, by row. */
export interface RangeColumns {
  start: Uint32Array;
  end: Uint32Array;
  org: Uint32Array;
}

const bytesOf = (csv: Uint8Array | string): Buffer =>
  typeof csv === 'string'
    ? Buffer.from(csv, 'utf8')
    : Buffer.from(csv.buffer, csv.byteOffset, csv.byteLength);

/**
 * Organisation names by id, one string per distinct name. A name is looked up by its bytes (a
 * hash table over a pool of the names' bytes, dropped with the index after the load), so a row
 * whose name was seen before costs no string at all.
 */
class NameIndex {
  readonly list: string[] = [];
  /** Open addressing: id + 1 per slot, 0 for empty; kept at most half full. */
  #slots = new Int32Array(1 << 16);
  #hashes = new Uint32Array(1024);
  /** The name of id `k` is `#pool[#offsets[k] .. #offsets[k + 1])`. */
  #offsets = new Uint32Array(1025);
  #pool = new Uint8Array(1 << 16);

  /** The id of the name in `bytes[from .. to)` (UTF-8, unescaped), adding it if new. */
  id(bytes: Buffer, from: number, to: number): number {
    let hash = 0x811c9dc5;
    for (let i = from; i < to; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
    hash >>>= 0;
    const mask = this.#slots.length - 1;
    let slot = hash & mask;
    for (let entry = this.#slots[slot]!; entry !== 0; entry = this.#slots[slot]!) {
      const id = entry - 1;
      if (this.#hashes[id] === hash && this.#equals(id, bytes, from, to)) return id;
      slot = (slot + 1) & mask;
    }
    return this.#add(hash, slot, bytes, from, to);
  }

  #equals(id: number, bytes: Buffer, from: number, to: number): boolean {
    const at = this.#offsets[id]!;
    if (this.#offsets[id + 1]! - at !== to - from) return false;
    for (let i = 0; i < to - from; i++) if (this.#pool[at + i] !== bytes[from + i]) return false;
    return true;
  }

  #add(hash: number, slot: number, bytes: Buffer, from: number, to: number): number {
    const id = this.list.length;
    // Decoding copies the bytes into a new string, so a name holds on to neither the file's
    // buffer nor any larger string.
    this.list.push(cleanText(bytes.toString('utf8', from, to), 128));
    if (id + 1 === this.#hashes.length) {
      this.#hashes = grow(this.#hashes, this.#hashes.length * 2);
      this.#offsets = grow(this.#offsets, this.#offsets.length * 2);
    }
    this.#hashes[id] = hash;
    const at = this.#offsets[id]!;
    if (at + (to - from) > this.#pool.length) {
      const pool = new Uint8Array(Math.max(this.#pool.length * 2, at + (to - from)));
      pool.set(this.#pool);
      this.#pool = pool;
    }
    this.#pool.set(bytes.subarray(from, to), at);
    this.#offsets[id + 1] = at + (to - from);
    this.#slots[slot] = id + 1;
    if ((id + 1) * 2 > this.#slots.length) this.#rehash();
    return id;
  }

  #rehash(): void {
    const slots = new Int32Array(this.#slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.list.length; id++) {
      let slot = this.#hashes[id]! & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
    }
    this.#slots = slots;
  }
}

/** Parses `bytes[from .. to)` into `out` from index `at`; false if malformed. */
type AddressParser = (
  bytes: Buffer,
  from: number,
  to: number,
  out: Uint32Array,
  at: number,
) => boolean;

const SLICE_ROWS = 50_000;
const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
const QUOTE = 0x22;
const COLON = 0x3a;

async function parseRows(
  csv: Buffer,
  words: number,
  parseAddress: AddressParser,
  names: NameIndex,
): Promise<RangeColumns> {
  const reader = new RowReader(csv, words, parseAddress, names);
  while (!reader.read(SLICE_ROWS)) await new Promise((resolve) => setImmediate(resolve));
  return reader.columns();
}

/**
 * The rows of one file, read a slice at a time. The loop is in a plain method rather than in the
 * async function that yields between slices: V8 optimises it once and re-enters the optimised
 * code for each slice, where a loop resumed after an `await` would start again unoptimised.
 */
class RowReader {
  #capacity = 1024;
  #start: Uint32Array;
  #end: Uint32Array;
  #org: Uint32Array;
  /** Names with `""` escapes are unescaped here before their lookup. */
  #unescaped = Buffer.allocUnsafe(256);
  #rows = 0;
  #sorted = true;
  #pos = 0;

  constructor(
    readonly csv: Buffer,
    readonly words: number,
    readonly parseAddress: AddressParser,
    readonly names: NameIndex,
  ) {
    this.#start = new Uint32Array(this.#capacity * words);
    this.#end = new Uint32Array(this.#capacity * words);
    this.#org = new Uint32Array(this.#capacity);
  }

  /** Reads up to `limit` more rows; true when the file is done. */
  read(limit: number): boolean {
    const { csv, words, parseAddress, names } = this;
    const stop = this.#rows + limit;
    let pos = this.#pos;
    while (pos < csv.length && this.#rows < stop) {
      let eol = csv.indexOf(LF, pos);
      if (eol === -1) eol = csv.length;
      const lineStart = pos;
      const lineEnd = eol > pos && csv[eol - 1] === CR ? eol - 1 : eol;
      pos = eol + 1;
      // `start,end,asn,name`: the name is the rest of the line, commas and all.
      const a = indexOfComma(csv, lineStart, lineEnd);
      const b = a === -1 ? -1 : indexOfComma(csv, a + 1, lineEnd);
      const c = b === -1 ? -1 : indexOfComma(csv, b + 1, lineEnd);
      if (c === -1) continue;
      let nameFrom = c + 1;
      let nameTo = lineEnd;
      let escaped = false;
      if (nameFrom < nameTo && csv[nameFrom] === QUOTE) {
        if (nameTo - nameFrom < 2 || csv[nameTo - 1] !== QUOTE) continue;
        nameFrom++;
        nameTo--;
        for (let i = nameFrom; i + 1 < nameTo; i++) {
          if (csv[i] === QUOTE && csv[i + 1] === QUOTE) {
            escaped = true;
            break;
          }
        }
      }
      if (nameFrom === nameTo) continue;
      const row = this.#rows;
      if (row === this.#capacity) this.#grow();
      const start = this.#start;
      if (
        !parseAddress(csv, lineStart, a, start, row * words) ||
        !parseAddress(csv, a + 1, b, this.#end, row * words)
      ) {
        continue;
      }
      if (row > 0 && compareRows(start, row - 1, row, words) > 0) this.#sorted = false;
      this.#org[row] = escaped
        ? names.id(this.#unescapedName(nameFrom, nameTo), 0, this.#unescapedLength)
        : names.id(csv, nameFrom, nameTo);
      this.#rows = row + 1;
    }
    this.#pos = pos;
    return pos >= csv.length;
  }

  #unescapedLength = 0;

  /** `csv[from .. to)` with each `""` as one `"`, in the scratch buffer. */
  #unescapedName(from: number, to: number): Buffer {
    const csv = this.csv;
    if (this.#unescaped.length < to - from) this.#unescaped = Buffer.allocUnsafe(to - from);
    const out = this.#unescaped;
    let n = 0;
    for (let i = from; i < to; i++) {
      out[n++] = csv[i]!;
      if (csv[i] === QUOTE && i + 1 < to && csv[i + 1] === QUOTE) i++;
    }
    this.#unescapedLength = n;
    return out;
  }

  #grow(): void {
    this.#capacity *= 2;
    this.#start = grow(this.#start, this.#capacity * this.words);
    this.#end = grow(this.#end, this.#capacity * this.words);
    this.#org = grow(this.#org, this.#capacity);
  }

  columns(): RangeColumns {
    const rows = this.#rows;
    const words = this.words;
    const columns = {
      start: this.#start.slice(0, rows * words),
      end: this.#end.slice(0, rows * words),
      org: this.#org.slice(0, rows),
    };
    return this.#sorted ? columns : sortRows(columns, rows, words);
  }
}

function indexOfComma(bytes: Buffer, from: number, to: number): number {
  for (let i = from; i < to; i++) if (bytes[i] === COMMA) return i;
  return -1;
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

/** A decimal number of 1 to 10 digits, at most 2^32 - 1. */
function parseV4Num(
  bytes: Buffer,
  from: number,
  to: number,
  out: Uint32Array,
  at: number,
): boolean {
  if (to - from < 1 || to - from > 10) return false;
  let n = 0;
  for (let i = from; i < to; i++) {
    const digit = bytes[i]! - 0x30;
    if (digit < 0 || digit > 9) return false;
    n = n * 10 + digit;
  }
  if (n > 0xffffffff) return false;
  out[at] = n;
  return true;
}

const groups = new Uint16Array(8);

/**
 * Textual IPv6 (without an embedded IPv4 part) into four words; false if malformed: eight groups
 * of one to four hex digits, or fewer with a single `::` standing for at least one zero group.
 */
function parseV6Text(
  bytes: Buffer,
  from: number,
  to: number,
  out: Uint32Array,
  at: number,
): boolean {
  let count = 0;
  /** How many groups come before the `::`, or -1 without one. */
  let gap = -1;
  let i = from;
  if (to - from >= 2 && bytes[i] === COLON && bytes[i + 1] === COLON) {
    gap = 0;
    i += 2;
  }
  while (i < to) {
    let value = 0;
    let digits = 0;
    for (; i < to && digits <= 4; i++, digits++) {
      const hex = hexValue(bytes[i]!);
      if (hex < 0) break;
      value = (value << 4) | hex;
    }
    if (digits === 0 || digits > 4 || count === 8) return false;
    groups[count++] = value;
    if (i === to) break;
    if (bytes[i] !== COLON) return false;
    i++;
    if (i < to && bytes[i] === COLON) {
      if (gap !== -1) return false;
      gap = count;
      i++;
    } else if (i === to) {
      return false;
    }
  }
  if (gap === -1 ? count !== 8 : count > 7) return false;
  const zeros = gap === -1 ? 0 : 8 - count;
  for (let w = 0; w < 4; w++) {
    out[at + w] = ((group(w * 2, gap, zeros) << 16) | group(w * 2 + 1, gap, zeros)) >>> 0;
  }
  return true;
}

/** Group `k` of the eight once the `::` at `gap` is expanded into `zeros` zero groups. */
function group(k: number, gap: number, zeros: number): number {
  if (gap === -1 || k < gap) return groups[k]!;
  return k < gap + zeros ? 0 : groups[k - zeros]!;
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}
