import type Ipaddr from 'ipaddr.js';
import { requireCommonJs } from '../shared/commonjs.js';

const ipaddr = requireCommonJs('ipaddr.js') as typeof Ipaddr;

/**
 * A client address in one canonical form, so that truncation, hashing and lookups see the same
 * value however the socket or proxy spelled it.
 */
export interface NormalIp {
  /** Canonical text: dotted decimal for IPv4, RFC 5952 compressed lower case for IPv6. */
  readonly address: string;
  readonly family: 4 | 6;
  /** Network-order bytes: 4 for IPv4, 16 for IPv6. */
  readonly bytes: readonly number[];
  /**
   * The IPv6 address as received (RFC 5952 text), when `address` is the IPv4 address it carries
   * (6to4, NAT64, Teredo, IPv4-compatible or IPv4-translated): what a policy that keeps the full
   * address stores. Absent otherwise.
   */
  readonly received?: string;
}

// A textual IPv6 address is at most 45 characters; a zone id adds a little. Anything much longer is
// garbage, and refusing it early keeps a hostile value away from the parser.
const MAX_INPUT = 100;
const MAPPED_PREFIX = '::ffff:';
const COLON = 0x3a;
const DOT = 0x2e;

/**
 * Parses a client address (`req.ip`, a socket's `remoteAddress`) into its canonical form.
 *
 * - A port and brackets are dropped (`203.0.113.7:61234`, `[2001:db8::1]:443`, `[::1]`): some
 *   proxies write them into `X-Forwarded-For`, and Express passes them on as `req.ip`.
 * - IPv4-mapped IPv6 (`::ffff:1.2.3.4`, `::ffff:102:304`) becomes the IPv4 address, so that the
 *   IPv4 /24 truncation applies and GeoIP is not misled by the hex form.
 * - IPv6 forms that carry a client's IPv4 address (see {@link carriedIpv4}) become that IPv4
 *   address too, so the client is minimised as it would be over IPv4; the IPv6 text is kept in
 *   `received` for a policy that stores the full address.
 * - An IPv6 zone id (`fe80::1%eth0`) is dropped: it names a local interface, not the client.
 * - IPv4 must be four-part decimal without leading zeros: the legacy forms that ipaddr.js also
 *   accepts (`127.1`, `0x7f.0.0.1`, `2130706433`, octal `010.0.0.1`) never come from a socket and
 *   are ambiguous, so they are refused.
 *
 * Never throws.
 *
 * @returns The address, or `undefined` when `raw` is absent, empty or not an IP address.
 */
export function normalizeIp(input: string | undefined): NormalIp | undefined {
  if (typeof input !== 'string' || input.length === 0 || input.length > MAX_INPUT) return undefined;
  const raw = withoutPort(input);
  if (raw === undefined) return undefined;
  const v4 = parseDottedQuad(raw);
  if (v4 !== undefined) return { address: raw, family: 4, bytes: v4 };
  // A dual-stack server (listening on `::`) sees every IPv4 client in this form.
  if (
    raw.length > MAPPED_PREFIX.length &&
    raw.slice(0, MAPPED_PREFIX.length).toLowerCase() === MAPPED_PREFIX
  ) {
    const address = raw.slice(MAPPED_PREFIX.length);
    const mapped = parseDottedQuad(address);
    if (mapped !== undefined) return { address, family: 4, bytes: mapped };
  }
  // Everything else that is valid has a colon: IPv6, possibly IPv4-mapped or with a zone id.
  if (!raw.includes(':')) return undefined;
  const zone = raw.indexOf('%');
  if (zone === raw.length - 1) return undefined;
  const text = zone === -1 ? raw : raw.slice(0, zone);
  const bytes = parseHexGroups(text) ?? parseWithIpaddr(text);
  if (bytes === undefined) return undefined;
  if (isIpv4Mapped(bytes)) {
    const v4 = bytes.slice(12);
    return { address: v4.join('.'), family: 4, bytes: v4 };
  }
  const carried = carriedIpv4(bytes);
  if (carried !== undefined) {
    return { address: carried.join('.'), family: 4, bytes: carried, received: formatIpv6(bytes) };
  }
  return { address: formatIpv6(bytes), family: 6, bytes };
}

/**
 * `raw` without a port and without the brackets around an IPv6 address, or `undefined` when the
 * brackets or the port are malformed. Only the port is split off here; the address itself is
 * parsed by the caller. An IPv4 address has no colon and an IPv6 address at least two, so a single
 * colon can only introduce a port.
 */
function withoutPort(raw: string): string | undefined {
  if (raw.charCodeAt(0) === 0x5b) {
    const close = raw.indexOf(']');
    if (close === -1) return undefined;
    const inner = raw.slice(1, close);
    if (!inner.includes(':')) return undefined;
    const after = raw.slice(close + 1);
    return after === '' || (after.charCodeAt(0) === COLON && isPort(after.slice(1)))
      ? inner
      : undefined;
  }
  const colon = raw.indexOf(':');
  if (colon === -1 || raw.indexOf(':', colon + 1) !== -1) return raw;
  return isPort(raw.slice(colon + 1)) ? raw.slice(0, colon) : undefined;
}

/** 1 to 5 decimal digits, at most 65535. */
function isPort(text: string): boolean {
  if (text.length === 0 || text.length > 5) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return Number(text) <= 65_535;
}

/**
 * The IPv4 address that an IPv6 address carries for a client that is really an IPv4 client, or
 * `undefined`. Truncating such an address as IPv6 would either keep the whole IPv4 address (6to4,
 * where it sits in bits 16-47, inside the /48 kept) or treat every such client as one network;
 * either way the same client would be stored differently over IPv4 and over IPv6.
 *
 * - 6to4, `2002::/16` (RFC 3056): the IPv4 address in bytes 2-5.
 * - NAT64 well-known prefix, `64:ff9b::/96` (RFC 6052): an IPv4 client seen by an IPv6-only
 *   server through a translator; the IPv4 address in the last four bytes.
 * - Teredo, `2001::/32` (RFC 4380): the client's public IPv4 address in the last four bytes,
 *   each bit inverted (bytes 4-7 hold the Teredo server's address, not the client's).
 * - IPv4-translated, `::ffff:0:0:0/96` (RFC 2765, SIIT): the last four bytes.
 * - IPv4-compatible, `::a.b.c.d` (RFC 4291, deprecated): the last four bytes, when the first of
 *   them is not zero, so that `::`, `::1` and other small values stay IPv6.
 *
 * Network-specific NAT64 prefixes (including the local-use `64:ff9b:1::/48`, RFC 8215) put the
 * IPv4 address at a place only the operator knows; their /48 keeps none of it.
 */
function carriedIpv4(bytes: readonly number[]): number[] | undefined {
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.slice(2, 6);
  if (bytes[0] === 0x20 && bytes[1] === 0x01 && bytes[2] === 0 && bytes[3] === 0) {
    return bytes.slice(12).map((byte) => byte ^ 0xff);
  }
  if (bytes[0] === 0 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b) {
    return zeroes(bytes, 4, 12) ? bytes.slice(12) : undefined;
  }
  if (!zeroes(bytes, 0, 8)) return undefined;
  if (bytes[8] === 0xff && bytes[9] === 0xff && bytes[10] === 0 && bytes[11] === 0) {
    return bytes.slice(12);
  }
  return zeroes(bytes, 8, 12) && bytes[12] !== 0 ? bytes.slice(12) : undefined;
}

/** Whether `bytes[from]` up to (not including) `bytes[to]` are all zero. */
function zeroes(bytes: readonly number[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Whether `text[start, end)` is an IPv6 address in the plain RFC 4291 text forms: one to eight
 * groups of one to four hex digits, at most one `::`, and possibly a dotted quad in place of the
 * last two groups; no zone id, no brackets. For finding addresses in free text (a path, a query
 * value), where it runs on every candidate: it allocates nothing, and unlike {@link normalizeIp}
 * it never hands text to ipaddr.js, whose failure path throws several exceptions per call.
 */
export function isIpv6Literal(text: string, start = 0, end = text.length): boolean {
  let groups = 0;
  let compressed = false;
  let i = start;
  if (text.charCodeAt(i) === COLON) {
    if (text.charCodeAt(i + 1) !== COLON) return false;
    compressed = true;
    i += 2;
    if (i === end) return true;
  }
  for (;;) {
    let j = i;
    while (j < end && j - i <= 4 && hexValue(text.charCodeAt(j)) !== -1) j++;
    if (j < end && text.charCodeAt(j) === DOT) {
      // An embedded IPv4 address ends the text and stands for two groups.
      if (!isDottedQuad(text, i, end)) return false;
      groups += 2;
      break;
    }
    if (j === i || j - i > 4) return false;
    groups++;
    if (j === end) break;
    if (text.charCodeAt(j) !== COLON || j + 1 === end) return false;
    i = j + 1;
    if (text.charCodeAt(i) === COLON) {
      if (compressed) return false;
      compressed = true;
      i++;
      if (i === end) break;
    }
  }
  return compressed ? groups <= 7 : groups === 8;
}

/** Whether `text[start, end)` is strict dotted-quad text, as {@link parseDottedQuad} takes it. */
function isDottedQuad(text: string, start: number, end: number): boolean {
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const code = i < end ? text.charCodeAt(i) : 0x2e;
    if (code === 0x2e) {
      if (digits === 0 || value > 255 || ++parts > 4) return false;
      value = 0;
      digits = 0;
    } else if (code >= 0x30 && code <= 0x39) {
      if ((digits === 1 && value === 0) || ++digits > 3) return false;
      value = value * 10 + (code - 0x30);
    } else return false;
  }
  return parts === 4;
}

/** The sixteen bytes of any IPv6 text ipaddr.js accepts (embedded IPv4 and the like), else undefined. */
function parseWithIpaddr(text: string): number[] | undefined {
  let parsed: Ipaddr.IPv4 | Ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(text);
  } catch {
    return undefined;
  }
  return parsed.kind() === 'ipv6' ? parsed.toByteArray() : undefined;
}

/** `::ffff:0:0/96`: an IPv4 client as a dual-stack socket reports it. */
function isIpv4Mapped(bytes: readonly number[]): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** The value of a hex digit's character code, or -1. */
function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/**
 * The sixteen bytes of IPv6 text in the plain form sockets and proxies give: up to eight groups of
 * one to four hex digits, at most one `::`. Anything else (an embedded dotted quad, a stray
 * character) gives undefined and is left to ipaddr.js, so this only ever accepts text that is
 * certainly an address; it is several times faster than the general parser.
 */
function parseHexGroups(text: string): number[] | undefined {
  const n = text.length;
  const head: number[] = [];
  let tail: number[] | undefined;
  let groups = head;
  let i = 0;
  if (text.charCodeAt(0) === COLON) {
    if (text.charCodeAt(1) !== COLON) return undefined;
    tail = [];
    groups = tail;
    i = 2;
  }
  while (i < n) {
    let value = 0;
    let digits = 0;
    for (; i < n; i++) {
      const digit = hexValue(text.charCodeAt(i));
      if (digit === -1) break;
      if (++digits > 4) return undefined;
      value = value * 16 + digit;
    }
    if (digits === 0) return undefined;
    groups.push(value);
    if (i === n) break;
    if (text.charCodeAt(i) !== COLON) return undefined;
    i++;
    if (i === n) return undefined;
    if (text.charCodeAt(i) === COLON) {
      if (tail !== undefined) return undefined;
      tail = [];
      groups = tail;
      i++;
    }
  }
  const count = head.length + (tail?.length ?? 0);
  // `::` stands for at least one group of zeros.
  if (tail === undefined ? count !== 8 : count > 7) return undefined;
  const bytes = new Array<number>(16).fill(0);
  for (let g = 0; g < head.length; g++) {
    bytes[2 * g] = head[g]! >> 8;
    bytes[2 * g + 1] = head[g]! & 0xff;
  }
  if (tail !== undefined) {
    const start = 8 - tail.length;
    for (let g = 0; g < tail.length; g++) {
      bytes[2 * (start + g)] = tail[g]! >> 8;
      bytes[2 * (start + g) + 1] = tail[g]! & 0xff;
    }
  }
  return bytes;
}

/**
 * RFC 5952 text of sixteen bytes: lower-case hex without leading zeros, the longest run of two or
 * more zero groups (the first of equal runs) written `::`.
 */
function formatIpv6(bytes: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  let runStart = -1;
  for (let g = 0; g <= 8; g++) {
    const zero = g < 8 && bytes[2 * g] === 0 && bytes[2 * g + 1] === 0;
    if (zero) {
      if (runStart === -1) runStart = g;
    } else if (runStart !== -1) {
      if (g - runStart > bestLength) {
        bestStart = runStart;
        bestLength = g - runStart;
      }
      runStart = -1;
    }
  }
  let text = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      text += g === 0 ? '::' : ':';
      g += bestLength - 1;
      continue;
    }
    text += ((bytes[2 * g]! << 8) | bytes[2 * g + 1]!).toString(16);
    if (g < 7) text += ':';
  }
  return text;
}

/**
 * The four bytes of strict dotted-quad text (`0`–`255`, no leading zeros), else `undefined`.
 * Sockets give this form nearly always, and parsing it by hand is about ten times faster than
 * ipaddr.js's general parser; such text is already canonical.
 */
function parseDottedQuad(text: string): number[] | undefined {
  const bytes: number[] = [];
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (code === 0x2e) {
      if (digits === 0 || value > 255 || bytes.length === 4) return undefined;
      bytes.push(value);
      value = 0;
      digits = 0;
    } else if (code >= 0x30 && code <= 0x39) {
      if (digits === 1 && value === 0) return undefined;
      if (++digits > 3) return undefined;
      value = value * 10 + (code - 0x30);
    } else {
      return undefined;
    }
  }
  return bytes.length === 4 ? bytes : undefined;
}

/**
 * The network address that keeps only the leading bits of `ip` (/24 and /48 by default).
 *
 * `1.2.3.4` at 24 gives `1.2.3.0`; `2001:db8:abcd:1234::1` at 48 gives `2001:db8:abcd::`; a prefix
 * of 0 gives `0.0.0.0` or `::`. Prefixes are clamped to 0–32 and 0–128 and rounded down, so a
 * misconfigured value can only keep fewer bits, never more than the address has.
 *
 * @param ipv4Prefix Leading bits kept of an IPv4 address (0–32).
 * @param ipv6Prefix Leading bits kept of an IPv6 address (0–128).
 * @returns The canonical text of the network address.
 */
export function truncateIp(ip: NormalIp, ipv4Prefix: number, ipv6Prefix: number): string {
  return truncateNetwork(ip, ipv4Prefix, ipv6Prefix).address;
}

/** {@link truncateIp}, as a {@link NormalIp}: for lookups that take the bytes as well. */
export function truncateNetwork(ip: NormalIp, ipv4Prefix: number, ipv6Prefix: number): NormalIp {
  const bits = ip.family === 4 ? clamp(ipv4Prefix, 32) : clamp(ipv6Prefix, 128);
  const masked: number[] = new Array(ip.bytes.length);
  for (let index = 0; index < masked.length; index++) {
    const keep = bits - index * 8;
    const byte = ip.bytes[index]!;
    masked[index] = keep >= 8 ? byte : keep <= 0 ? 0 : byte & (0xff << (8 - keep)) & 0xff;
  }
  const address =
    ip.family === 4 ? `${masked[0]}.${masked[1]}.${masked[2]}.${masked[3]}` : formatIpv6(masked);
  return { address, family: ip.family, bytes: masked };
}

function clamp(prefix: number, max: number): number {
  if (!(prefix > 0)) return 0;
  return Math.min(Math.floor(prefix), max);
}
