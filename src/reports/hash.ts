/**
 * MurmurHash3 (x86, 32-bit), the well-known non-cryptographic hash, over a string's UTF-16 code
 * units. Sketches need speed and an even spread, not secrecy: a cryptographic hash from node:crypto
 * costs about ten times as much per visitor id, and the ids it would hash are already pseudonymous.
 */
export function murmur3(text: string, seed: number): number {
  let h = seed >>> 0;
  const length = text.length;
  let i = 0;
  // Two UTF-16 code units make one 32-bit block.
  for (; i + 1 < length; i += 2) {
    let k = (text.charCodeAt(i) & 0xffff) | ((text.charCodeAt(i + 1) & 0xffff) << 16);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < length) {
    let k = text.charCodeAt(i) & 0xffff;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= length * 2;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Seeds of the two independent 32-bit hashes that make a sketch's 64 bits. */
export const HASH_SEEDS = [0x9747b28c, 0x5bd1e995] as const;
