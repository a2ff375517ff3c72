import { describe, expect, it } from 'vitest';
import { DomainLookup, registrableDomain } from '../../src/enrich/domain.js';

/** A reverse lookup whose answers the test releases by hand. */
function manualReverse() {
  const calls: { address: string; answer: (names: string[]) => void; fail: () => void }[] = [];
  const reverse = (address: string) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({ address, answer: resolve, fail: () => reject(new Error('SERVFAIL')) });
    });
  return { calls, reverse };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('registrableDomain', () => {
  it.each([
    ['ec2-1-2-3-4.compute-1.amazonaws.com', 'amazonaws.com'],
    ['crawl-66-249-66-1.googlebot.com.', 'googlebot.com'],
    ['dns.google', 'dns.google'],
    ['host-1.dsl.example.co.uk', 'example.co.uk'],
    ['P5B0C1D2.dip0.T-IPCONNECT.DE', 't-ipconnect.de'],
  ])('%s gives %s', (name, domain) => {
    expect(registrableDomain(name)).toBe(domain);
  });

  it.each([
    'localhost',
    'router.lan',
    'nas.internal',
    'printer.local',
    '1.2.3.4',
    '',
    'a..b.com',
    'x'.repeat(300),
  ])('%s gives nothing', (name) => {
    expect(registrableDomain(name)).toBeUndefined();
  });
});

describe('DomainLookup', () => {
  it('looks up once, then answers from the cache', async () => {
    const { calls, reverse } = manualReverse();
    const lookup = new DomainLookup({ reverse });
    const first = lookup.lookup('52.95.110.0');
    expect(first).toBeInstanceOf(Promise);
    calls[0]!.answer(['ec2-52-95-110-0.compute-1.amazonaws.com']);
    expect(await first).toBe('amazonaws.com');
    expect(lookup.lookup('52.95.110.0')).toBe('amazonaws.com');
    expect(calls).toHaveLength(1);
    expect(lookup.stats()).toMatchObject({ lookups: 1, found: 1, cacheHits: 1, timeouts: 0 });
  });

  it('remembers "no domain" too, for its own, shorter time', async () => {
    const { calls, reverse } = manualReverse();
    const lookup = new DomainLookup({ reverse, negativeTtlMs: 30 });
    const first = lookup.lookup('10.0.0.0');
    calls[0]!.fail();
    expect(await first).toBeUndefined();
    expect(lookup.lookup('10.0.0.0')).toBeUndefined();
    expect(calls).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    void lookup.lookup('10.0.0.0');
    expect(calls).toHaveLength(2);
    calls[1]!.answer([]);
    expect(lookup.stats().notFound).toBe(1);
  });

  it('shares one lookup between requests for the same address', async () => {
    const { calls, reverse } = manualReverse();
    const lookup = new DomainLookup({ reverse });
    const a = lookup.lookup('8.8.8.8');
    const b = lookup.lookup('8.8.8.8');
    calls[0]!.answer(['dns.google']);
    expect(await Promise.all([a, b])).toEqual(['dns.google', 'dns.google']);
    expect(calls).toHaveLength(1);
  });

  it('gives up at the deadline, counts it, and still caches the late answer', async () => {
    const { calls, reverse } = manualReverse();
    const lookup = new DomainLookup({ reverse, timeoutMs: 20 });
    expect(await lookup.lookup('8.8.8.8')).toBeUndefined();
    expect(lookup.stats().timeouts).toBe(1);
    calls[0]!.answer(['dns.google']);
    await tick();
    expect(lookup.lookup('8.8.8.8')).toBe('dns.google');
  });

  it('starts no more than `concurrency` lookups; the rest go without and are counted', async () => {
    const { calls, reverse } = manualReverse();
    const lookup = new DomainLookup({ reverse, concurrency: 2 });
    void lookup.lookup('1.1.1.0');
    void lookup.lookup('2.2.2.0');
    expect(lookup.lookup('3.3.3.0')).toBeUndefined();
    expect(lookup.stats()).toMatchObject({ busy: 1, inFlight: 2 });
    for (const call of calls) call.answer([]);
    await tick();
    expect(lookup.stats().inFlight).toBe(0);
    void lookup.lookup('3.3.3.0');
    expect(calls).toHaveLength(3);
  });

  it('keeps at most cacheSize addresses', async () => {
    const lookup = new DomainLookup({ reverse: () => ['dns.google'], cacheSize: 2 });
    for (const a of ['1.0.0.0', '2.0.0.0', '3.0.0.0']) await lookup.lookup(a);
    expect(lookup.lookup('3.0.0.0')).toBe('dns.google');
    expect(lookup.lookup('1.0.0.0')).toBeInstanceOf(Promise);
  });

  it('takes the first PTR name that has a registrable domain; a throwing resolver is no domain', async () => {
    const lookup = new DomainLookup({ reverse: () => ['router.lan', 'mail.example.org'] });
    expect(await lookup.lookup('1.2.3.0')).toBe('example.org');
    const broken = new DomainLookup({
      reverse: () => {
        throw new Error('boom');
      },
    });
    expect(await broken.lookup('1.2.3.0')).toBeUndefined();
  });

  it('refuses nonsense settings', () => {
    expect(() => new DomainLookup({ timeoutMs: 0 })).toThrow(RangeError);
    expect(() => new DomainLookup({ concurrency: 1.5 })).toThrow(RangeError);
  });
});
