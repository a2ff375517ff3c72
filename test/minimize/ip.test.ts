import { describe, expect, it } from 'vitest';
import { normalizeIp, truncateIp } from '../../src/minimize/ip.js';

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
      '[::1]',
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

  it('truncates IPv4-mapped addresses as IPv4 (P2)', () => {
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
