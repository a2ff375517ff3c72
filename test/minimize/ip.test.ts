import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { isIpv6Literal, normalizeIp, truncateIp, truncateNetwork } from '../../src/minimize/ip.js';

const norm = (raw: string) => {
  const ip = normalizeIp(raw);
  if (!ip) throw new Error(`not an address: ${raw}`);
  return ip;
};

describe('normalizeIp', () => {
  it('parses IPv4', () => {
    expect(normalizeIp('1.2.3.4')).toEqual({ address: '1.2.3.4', family: 4, bytes: [1, 2, 3, 4] });
    expect(normalizeIp('255.255.255.255')?.bytes).toEqual([255, 255, 255, 255]);
    expect(normalizeIp('0.0.0.0')?.address).toBe('0.0.0.0');
  });

  it('parses IPv6 into the RFC 5952 form', () => {
    const ip = norm('2001:DB8:0:0:0:0:0:1');
    expect(ip.address).toBe('2001:db8::1');
    expect(ip.family).toBe(6);
    expect(ip.bytes).toHaveLength(16);
    expect(norm('2001:0db8:abcd:1234:0000:0000:0000:0001').address).toBe('2001:db8:abcd:1234::1');
    expect(norm('::').address).toBe('::');
  });

  it('turns IPv4-mapped IPv6 into IPv4, dotted and hex forms alike', () => {
    for (const raw of [
      '::ffff:1.2.3.4',
      '::FFFF:1.2.3.4',
      '::ffff:102:304',
      '0:0:0:0:0:ffff:1.2.3.4',
    ]) {
      expect(normalizeIp(raw)).toEqual({ address: '1.2.3.4', family: 4, bytes: [1, 2, 3, 4] });
    }
    expect(norm('::ffff:808:808').address).toBe('8.8.8.8');
    expect(norm('::ffff:127.0.0.1').address).toBe('127.0.0.1');
  });

  it('drops an IPv6 zone id', () => {
    expect(norm('fe80::1%eth0').address).toBe('fe80::1');
    expect(norm('fe80::abcd%25').address).toBe('fe80::abcd');
  });

  it('handles private, loopback and link-local addresses', () => {
    expect(norm('10.0.0.1').address).toBe('10.0.0.1');
    expect(norm('192.168.1.20').address).toBe('192.168.1.20');
    expect(norm('127.0.0.1').address).toBe('127.0.0.1');
    expect(norm('::1').address).toBe('::1');
    expect(norm('169.254.10.20').address).toBe('169.254.10.20');
    expect(norm('fe80::1').address).toBe('fe80::1');
    expect(norm('fd12:3456:789a::1').address).toBe('fd12:3456:789a::1');
  });

  it('returns undefined for garbage and never throws', () => {
    const garbage = [
      undefined,
      '',
      ' ',
      'localhost',
      '1.2.3',
      '1.2.3.4.5',
      '1.2.3.256',
      '1.2.3.4 ',
      ' 1.2.3.4',
      '1..3.4',
      '1.2.3.',
      '-1.2.3.4',
      '127.1',
      '0x7f.0.0.1',
      '2130706433',
      '010.0.0.1',
      '01.2.3.4',
      '::ffff:1.2',
      ':::',
      '1:2:3:4:5:6:7:8:9',
      'fe80::1%',
      `${'1'.repeat(200)}`,
      '%eth0',
    ];
    for (const raw of garbage) expect(normalizeIp(raw)).toBeUndefined();
    expect(normalizeIp(42 as unknown as string)).toBeUndefined();
  });
});

describe('truncateIp', () => {
  it('keeps an IPv4 network prefix', () => {
    const ip = norm('1.2.3.4');
    expect(truncateIp(ip, 24, 48)).toBe('1.2.3.0');
    expect(truncateIp(ip, 16, 48)).toBe('1.2.0.0');
    expect(truncateIp(ip, 8, 48)).toBe('1.0.0.0');
    expect(truncateIp(ip, 32, 48)).toBe('1.2.3.4');
    expect(truncateIp(ip, 0, 48)).toBe('0.0.0.0');
    expect(truncateIp(norm('203.0.113.255'), 25, 48)).toBe('203.0.113.128');
    expect(truncateIp(norm('203.0.113.255'), 20, 48)).toBe('203.0.112.0');
  });

  it('keeps an IPv6 network prefix', () => {
    const ip = norm('2001:db8:abcd:1234::1');
    expect(truncateIp(ip, 24, 48)).toBe('2001:db8:abcd::');
    expect(truncateIp(ip, 24, 64)).toBe('2001:db8:abcd:1234::');
    expect(truncateIp(ip, 24, 56)).toBe('2001:db8:abcd:1200::');
    expect(truncateIp(ip, 24, 32)).toBe('2001:db8::');
    expect(truncateIp(ip, 24, 0)).toBe('::');
    expect(truncateIp(ip, 24, 128)).toBe('2001:db8:abcd:1234::1');
    expect(truncateIp(norm('2001:db8:ffff::'), 24, 44)).toBe('2001:db8:fff0::');
  });

  it('truncates IPv4-mapped addresses as IPv4', () => {
    expect(truncateIp(norm('::ffff:1.2.3.4'), 24, 48)).toBe('1.2.3.0');
    expect(truncateIp(norm('::ffff:102:304'), 24, 48)).toBe('1.2.3.0');
  });

  it('clamps odd prefixes instead of keeping more than asked', () => {
    const ip = norm('1.2.3.4');
    expect(truncateIp(ip, 99, 48)).toBe('1.2.3.4');
    expect(truncateIp(ip, -5, 48)).toBe('0.0.0.0');
    expect(truncateIp(ip, Number.NaN, 48)).toBe('0.0.0.0');
    expect(truncateIp(ip, 24.9, 48)).toBe('1.2.3.0');
  });

  it('does not change its input', () => {
    const ip = norm('1.2.3.4');
    truncateIp(ip, 8, 8);
    expect(ip.bytes).toEqual([1, 2, 3, 4]);
  });
});

/** What ipaddr.js alone makes of IPv6 text: the canonical form normalizeIp must agree with. */
function byIpaddr(text: string) {
  const colon = text.indexOf(':');
  if (colon !== -1 && text.indexOf(':', colon + 1) === -1) {
    // One colon: an IPv4 address and a port.
    const [host, port] = [text.slice(0, colon), text.slice(colon + 1)];
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65_535) return undefined;
    if (!ipaddr.IPv4.isValidFourPartDecimal(host)) return undefined;
    const v4 = ipaddr.IPv4.parse(host);
    return { address: v4.toString(), family: 4, bytes: v4.toByteArray() };
  }
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(text);
  } catch {
    return undefined;
  }
  if (parsed.kind() !== 'ipv6') return undefined;
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) {
    const v4 = v6.toIPv4Address();
    return { address: v4.toString(), family: 4, bytes: v4.toByteArray() };
  }
  const carried = carriedByIpaddr(v6);
  if (carried) {
    return {
      address: carried.toString(),
      family: 4,
      bytes: carried.toByteArray(),
      received: v6.toString(),
    };
  }
  return { address: v6.toString(), family: 6, bytes: v6.toByteArray() };
}

// The prefixes as the RFCs give them, matched by ipaddr.js.
const SIX_TO_FOUR = ipaddr.IPv6.parseCIDR('2002::/16');
const TEREDO = ipaddr.IPv6.parseCIDR('2001::/32');
const NAT64 = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
const TRANSLATED = ipaddr.IPv6.parseCIDR('::ffff:0:0:0/96');
const COMPATIBLE = ipaddr.IPv6.parseCIDR('::/96');

/** The IPv4 client address an IPv6 transition address carries, by ipaddr.js. */
function carriedByIpaddr(v6: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const b = v6.toByteArray();
  const v4 = (bytes: number[]) => ipaddr.fromByteArray(bytes) as ipaddr.IPv4;
  if (v6.match(SIX_TO_FOUR)) return v4(b.slice(2, 6));
  if (v6.match(TEREDO)) return v4(b.slice(12).map((x) => x ^ 0xff));
  if (v6.match(NAT64) || v6.match(TRANSLATED)) return v4(b.slice(12));
  if (v6.match(COMPATIBLE) && b[12] !== 0) return v4(b.slice(12));
  return undefined;
}

describe('normalizeIp and truncateIp agree with ipaddr.js', () => {
  // Hex groups, `::`, stray characters and embedded dotted quads: what a fast path could get wrong.
  const group = fc.oneof(
    fc.stringMatching(/^[0-9a-fA-F]{0,5}$/),
    fc.constantFrom('', '0', '0000', 'ffff', 'FFFF', '1.2.3.4', '256.1.1.1', 'g', ' 1'),
  );
  const text = fc.oneof(
    fc.array(group, { minLength: 2, maxLength: 10 }).map((groups) => groups.join(':')),
    fc.ipV6(),
    fc.ipV6().map((s) => s.toUpperCase()),
  );

  it('on IPv6 text, valid or not', () => {
    fc.assert(
      fc.property(text, (raw) => {
        expect(normalizeIp(raw)).toEqual(byIpaddr(raw));
      }),
      { numRuns: 20_000 },
    );
  });

  it('formats truncated networks as ipaddr.js does (RFC 5952)', () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.integer({ min: 0, max: 128 }), (raw, prefix) => {
        const ip = normalizeIp(raw)!;
        const masked = ip.bytes.map((byte, i) => {
          const keep = prefix - i * 8;
          return keep >= 8 ? byte : keep <= 0 ? 0 : byte & (0xff << (8 - keep)) & 0xff;
        });
        const expected = ipaddr.fromByteArray(ip.family === 4 ? masked.slice(0, 4) : masked);
        const bits = ip.family === 4 ? Math.min(prefix, 32) : prefix;
        expect(truncateIp(ip, bits, prefix)).toBe(expected.toString());
        expect(truncateNetwork(ip, bits, prefix)).toEqual({
          address: expected.toString(),
          family: ip.family,
          bytes: expected.toByteArray(),
        });
      }),
      { numRuns: 5_000 },
    );
  });

  it('refuses legacy IPv4 forms hidden behind a zone id', () => {
    for (const raw of ['0%:', '127.1%:x', '1.2.3.4%:', '0x7f.0.0.1%eth0:']) {
      expect(normalizeIp(raw)).toBeUndefined();
    }
  });
});

describe('isIpv6Literal: finding addresses in text without the full parser', () => {
  const group = fc.oneof(
    fc.stringMatching(/^[0-9a-fA-F]{1,4}$/),
    fc.constantFrom('', '0', 'ffff', '1.2.3.4', '256.1.1.1', '01.2.3.4', 'g', '12345'),
  );
  const text = fc.oneof(
    fc.array(group, { minLength: 1, maxLength: 10 }).map((groups) => groups.join(':')),
    fc.ipV6(),
  );

  it('agrees with normalizeIp on text of hex groups, colons and dots', () => {
    fc.assert(
      fc.property(text, (raw) => {
        // ipaddr.js also takes groups of five or more hex digits with leading zeros; those are
        // not written by anyone, and the literal finder leaves them.
        fc.pre(!/[0-9a-f]{5}/i.test(raw));
        // Nor does it take an embedded dotted quad with leading zeros, which ipaddr.js reads as
        // octal; the IPv4 pass redacts such a quad anyway.
        fc.pre(!/(^|[.:])0\d/.test(raw.slice(raw.lastIndexOf(':') + 1)));
        // One colon is a port to normalizeIp; it is no IPv6 address either way.
        const parsed = raw.split(':').length > 2 ? normalizeIp(raw) : undefined;
        expect(isIpv6Literal(raw)).toBe(parsed !== undefined);
      }),
      { numRuns: 20_000 },
    );
  });
});
