import ipaddr from 'ipaddr.js';

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
}

// A textual IPv6 address is at most 45 characters; a zone id adds a little. Anything much longer is
// garbage, and refusing it early keeps a hostile value away from the parser.
const MAX_INPUT = 100;
const MAPPED_PREFIX = '::ffff:';

/**
 * Parses a client address (`req.ip`, a socket's `remoteAddress`) into its canonical form.
 *
 * - IPv4-mapped IPv6 (`::ffff:1.2.3.4`, `::ffff:102:304`) becomes the IPv4 address, so that P2's
 *   /24 truncation applies and GeoIP is not misled by the hex form.
 * - An IPv6 zone id (`fe80::1%eth0`) is dropped: it names a local interface, not the client.
 * - IPv4 must be four-part decimal without leading zeros: the legacy forms that ipaddr.js also
 *   accepts (`127.1`, `0x7f.0.0.1`, `2130706433`, octal `010.0.0.1`) never come from a socket and
 *   are ambiguous, so they are refused.
 *
 * Never throws.
 *
 * @returns The address, or `undefined` when `raw` is absent, empty or not an IP address.
 */
export function normalizeIp(raw: string | undefined): NormalIp | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_INPUT) return undefined;
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
  return { address: formatIpv6(bytes), family: 6, bytes };
}

/** The sixteen bytes of any IPv6 text ipaddr.js accepts (embedded IPv4 and the like), else undefined. */
function parseWithIpaddr(text: string): number[] | undefined {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
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

const COLON = 0x3a;

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
 * The network address that keeps only the leading bits of `ip` (P2: /24 and /48 by default).
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
