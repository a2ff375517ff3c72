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
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(text);
  } catch {
    return undefined;
  }
  if (parsed.kind() === 'ipv4') {
    return { address: parsed.toString(), family: 4, bytes: parsed.toByteArray() };
  }
  return { address: parsed.toString(), family: 6, bytes: parsed.toByteArray() };
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
  const bits = ip.family === 4 ? clamp(ipv4Prefix, 32) : clamp(ipv6Prefix, 128);
  const masked = ip.bytes.map((byte, index) => {
    const keep = bits - index * 8;
    if (keep >= 8) return byte;
    if (keep <= 0) return 0;
    return byte & (0xff << (8 - keep)) & 0xff;
  });
  return ipaddr.fromByteArray(masked).toString();
}

function clamp(prefix: number, max: number): number {
  if (!(prefix > 0)) return 0;
  return Math.min(Math.floor(prefix), max);
}
