import { createCipheriv } from 'node:crypto';
import type Ipaddr from 'ipaddr.js';
import { requireCommonJs } from '../shared/commonjs.js';
import type { NormalIp } from './ip.js';

const ipaddr = requireCommonJs('ipaddr.js') as typeof Ipaddr;

/** Key bytes used: 16 for AES-128, 16 from which the padding block is made. */
export const PREFIX_KEY_BYTES = 32;

/**
 * A keyed, prefix-preserving pseudonym of an address, in the manner of Crypto-PAn (Xu, Fan,
 * Ammar and Moon, 2002): two addresses that share their first n bits get pseudonyms that share
 * their first n bits, and nothing more. An investigator can still see that attacks came from one
 * network, or from neighbouring ones, without holding any real address; without the key nobody
 * can map a pseudonym back.
 *
 * Bit i of the pseudonym is bit i of the address XOR the first bit of
 * AES-128(key, first i bits of the address followed by the padding block's remaining bits), where
 * the padding block is AES-128 of the key's second half. IPv4 gives an IPv4 pseudonym, IPv6 an
 * IPv6 one, both in canonical text.
 *
 * The result is a well-formed address, so it may belong to someone: it must never be used to
 * contact, block or look up anyone.
 *
 * @param key 32 bytes (see {@link PREFIX_KEY_BYTES}); only the first 32 are read.
 * @throws {RangeError} When the key is shorter than 32 bytes.
 */
export function prefixPreservingPseudonym(ip: NormalIp, key: Buffer): string {
  if (key.length < PREFIX_KEY_BYTES) {
    throw new RangeError(`the key must be ${PREFIX_KEY_BYTES} bytes long`);
  }
  const cipher = createCipheriv('aes-128-ecb', key.subarray(0, 16), null);
  cipher.setAutoPadding(false);
  const pad = cipher.update(key.subarray(16, 32));
  const bits = ip.bytes.length * 8;
  const original = Buffer.from(ip.bytes);
  // One block per bit; ECB encrypts them independently, so one call does them all.
  const blocks = Buffer.alloc(bits * 16);
  for (let i = 0; i < bits; i++) {
    const block = blocks.subarray(i * 16, i * 16 + 16);
    pad.copy(block);
    const whole = i >> 3;
    original.copy(block, 0, 0, whole);
    const partial = i & 7;
    if (partial > 0) {
      const mask = (0xff << (8 - partial)) & 0xff;
      block[whole] = (original[whole]! & mask) | (pad[whole]! & ~mask & 0xff);
    }
  }
  const encrypted = cipher.update(blocks);
  const out = Buffer.from(original);
  for (let i = 0; i < bits; i++) {
    if (encrypted[i * 16]! & 0x80) out[i >> 3] = out[i >> 3]! ^ (0x80 >> (i & 7));
  }
  return ipaddr.fromByteArray([...out]).toString();
}
