import ipaddr from 'ipaddr.js';
import { type NormalIp, normalizeIp } from '../../src/minimize/ip.js';
import type { HostileRequest } from './hostile-request.js';

/**
 * The address in a value Express may give as `req.ip` or a proxy may write as a hop: the address
 * itself, or one with a port (`203.0.113.7:443`) or brackets (`[2001:db8::1]:443`). Undefined
 * when there is none.
 */
export function addressIn(value: string | undefined): NormalIp | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) return normalizeIp(bracketed[1]);
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(text);
  return normalizeIp(withPort ? withPort[1] : text);
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

/**
 * Every spelling of an address a stored record must not contain (lower case): dotted, IPv4-mapped
 * in its dotted and hex forms, expanded and compressed IPv6. A form with a port contains one of
 * these.
 */
export function spellings(ip: NormalIp): string[] {
  const b = ip.bytes;
  if (ip.family === 4) {
    const hi = (b[0]! << 8) | b[1]!;
    const lo = (b[2]! << 8) | b[3]!;
    return [
      ip.address,
      `ffff:${hi.toString(16)}:${lo.toString(16)}`,
      `0000:0000:0000:0000:0000:ffff:${hex4(hi)}:${hex4(lo)}`,
    ];
  }
  const groups = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  return [ip.address, groups.map(hex4).join(':'), groups.map((g) => g.toString(16)).join(':')];
}

/**
 * The IPv4 address a 6to4 address (`2002:AABB:CCDD::/48`) carries, if it is one. Read with
 * ipaddr.js, not with the library's own `normalizeIp`, which already minimises a 6to4 address as
 * the IPv4 client it carries: the test must not take its expectation from the code it checks.
 */
export function sixToFourClient(text: string): NormalIp | undefined {
  if (!ipaddr.IPv6.isValid(text)) return undefined;
  const b = ipaddr.IPv6.parse(text).toByteArray();
  if (b[0] !== 0x20 || b[1] !== 0x02) return undefined;
  return normalizeIp(b.slice(2, 6).join('.'));
}

/** Every address a request names in its X-Forwarded-For lines. */
export function forwardedAddresses(request: HostileRequest): NormalIp[] {
  const out: NormalIp[] = [];
  for (const [name, value] of request.headers) {
    if (name !== 'X-Forwarded-For') continue;
    for (const hop of value.split(',')) {
      const ip = addressIn(hop);
      if (ip) out.push(ip);
    }
  }
  return out;
}

/** The request as text, lower case, without its X-Forwarded-For lines. */
export function textBesidesForwarded(request: HostileRequest): string {
  const lines = request.headers.filter(([name]) => name !== 'X-Forwarded-For');
  return [request.target, ...lines.map(([n, v]) => `${n}: ${v}`)].join('\n').toLowerCase();
}
