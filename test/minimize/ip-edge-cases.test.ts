import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { normalizeIp, truncateIp } from '../../src/minimize/ip.js';
import { prefixPreservingPseudonym } from '../../src/minimize/prefix-preserving.js';
import { ADDRESS_FORMS } from '../helpers/address-forms.js';

describe.each(ADDRESS_FORMS)('address form: %s', (_name, form) => {
  const ip = normalizeIp(form.raw);

  it('is minimised from the client address, truncated and stored in full as the table says', () => {
    expect(ip?.address).toBe(form.client);
    expect(ip === undefined ? undefined : truncateIp(ip, 24, 48)).toBe(form.truncated);
    expect(ip === undefined ? undefined : (ip.received ?? ip.address)).toBe(form.full);
  });
});

describe('IPv6 forms that carry an IPv4 client are that client (6to4, NAT64, Teredo, compatible, translated)', () => {
  const key = randomBytes(32);
  const carriers = ADDRESS_FORMS.filter(([, f]) => f.client === '203.0.113.77');

  it('truncate to the IPv4 /24, not to an IPv6 /48 that would keep the whole IPv4 address', () => {
    expect(carriers.length).toBeGreaterThanOrEqual(9);
    for (const [, form] of carriers) {
      const ip = normalizeIp(form.raw)!;
      expect(ip.family).toBe(4);
      expect(truncateIp(ip, 24, 48)).toBe('203.0.113.0');
      // Whatever prefix is configured, the IPv6 form keeps no more than the IPv4 one would.
      expect(truncateIp(ip, 16, 128)).toBe('203.0.0.0');
    }
  });

  it('get the same prefix-preserving pseudonym as the IPv4 client', () => {
    const plain = prefixPreservingPseudonym(normalizeIp('203.0.113.77')!, key);
    for (const [, form] of carriers) {
      expect(prefixPreservingPseudonym(normalizeIp(form.raw)!, key)).toBe(plain);
    }
  });

  it('Teredo inverts the client bits; the server part (bytes 4-7) is not the client', () => {
    // Client 8.8.8.8 behind Teredo server 203.0.113.1, any flags and port.
    const teredo = normalizeIp('2001:0:cb00:7101:8000:63bf:f7f7:f7f7')!;
    expect(teredo.address).toBe('8.8.8.8');
    expect(teredo.received).toBe('2001:0:cb00:7101:8000:63bf:f7f7:f7f7');
  });

  it('other IPv6 addresses stay IPv6, including the NAT64 local-use prefix and small ::/96 values', () => {
    for (const raw of [
      '2001:db8::1',
      '2001:1::1',
      '2003::1',
      '64:ff9b:1::cb00:714d',
      '::2',
      '::ffff',
    ]) {
      expect(normalizeIp(raw)?.family).toBe(6);
    }
  });
});
