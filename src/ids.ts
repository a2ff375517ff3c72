import { randomFillSync } from 'node:crypto';

// Random bytes are drawn in blocks: one syscall per 256 ids instead of one per id.
const pool = Buffer.allocUnsafe(16 * 256);
let offset = pool.length;

/** ASCII codes of the lower-case hex digits. */
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** The id's text is written here byte by byte, then read as one flat string. */
const text = Buffer.allocUnsafe(36);
const DASH = 0x2d;

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Ids sort by time to the
 * millisecond, so stores can index and page by id; uniqueness rests on the random bits.
 */
export function uuidv7(ms: number): string {
  if (offset + 16 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const at = offset;
  offset += 16;
  // Big-endian 48-bit timestamp; a typed array keeps the low 8 bits of each (truncated) value.
  pool[at] = ms / 2 ** 40;
  pool[at + 1] = ms / 2 ** 32;
  pool[at + 2] = ms >>> 24;
  pool[at + 3] = ms >>> 16;
  pool[at + 4] = ms >>> 8;
  pool[at + 5] = ms;
  pool[at + 6] = 0x70 | (pool[at + 6]! & 0x0f);
  pool[at + 8] = 0x80 | (pool[at + 8]! & 0x3f);
  // Hex by hand into one buffer: slicing and joining hex strings cost several times as much, and
  // left a string of many pieces for the store's serialiser to flatten.
  let j = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[j++] = DASH;
    const byte = pool[at + i]!;
    text[j++] = HEX[byte >> 4]!;
    text[j++] = HEX[byte & 0x0f]!;
  }
  return text.toString('latin1', 0, 36);
}
