import ipaddr from 'ipaddr.js';
import { isbot } from 'isbot';
import { describe, expect, it } from 'vitest';
import { UserAgentParser } from '../../src/enrich/user-agent.js';

// The benchmark's scripts are plain JavaScript run by node; they are loaded by URL so that type
// checking does not need declarations for them.
interface Spec {
  method: string;
  path: string;
  headers: Record<string, string>;
}
interface TrafficModule {
  CHOICE_COOKIE: string;
  CONSENT: string;
  HOST: string;
  random(seed: number): () => number;
  weighted<T>(r: () => number, pairs: readonly (readonly [number, T])[]): T;
  requestStream(options: { seed: number; visitorCookies: readonly string[] }): Generator<Spec>;
  makeRequests(options: {
    count: number;
    visitorCookies: readonly string[];
    seed?: number;
  }): Spec[];
}
const traffic = (await import(
  new URL('../../bench/traffic.js', import.meta.url).href
)) as TrafficModule;

const COOKIES = [
  '__Host-pl_vid=s%3AAAAAAAAAAAAAAAAAAAAAAA.sig1',
  '__Host-pl_vid=s%3ABBBBBBBBBBBBBBBBBBBBBB.sig2',
];
const mix = traffic.makeRequests({ count: 20_000, visitorCookies: COOKIES, seed: 1 });
const share = (predicate: (s: Spec) => boolean) => mix.filter(predicate).length / mix.length;

describe('the benchmark request mix', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const again = traffic.makeRequests({ count: 200, visitorCookies: COOKIES, seed: 1 });
    expect(again).toEqual(mix.slice(0, 200));
    const other = traffic.makeRequests({ count: 200, visitorCookies: COOKIES, seed: 2 });
    expect(other).not.toEqual(again);
  });

  it('continues one stream where makeRequests stops', () => {
    const stream = traffic.requestStream({ seed: 1, visitorCookies: COOKIES });
    const first = Array.from({ length: 300 }, () => stream.next().value);
    expect(first).toEqual(mix.slice(0, 300));
  });

  it('sends every request as HTTPS from a proxy, to the site host', () => {
    const wrong: unknown[] = [];
    for (const spec of mix) {
      const { headers } = spec;
      if (spec.method !== 'GET' || !spec.path.startsWith('/')) wrong.push(spec);
      if (headers.host !== traffic.HOST || headers['x-forwarded-proto'] !== 'https')
        wrong.push(spec);
      // Header names are lower case, values are header-safe text.
      for (const [name, value] of Object.entries(headers)) {
        if (name !== name.toLowerCase() || !/^[\x20-\x7e]+$/.test(value)) wrong.push([name, value]);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('comes from public IPv4 and IPv6 addresses, about a quarter IPv6', () => {
    const addresses = new Set(mix.map((s) => s.headers['x-forwarded-for']!));
    for (const address of addresses) {
      expect(ipaddr.isValid(address), address).toBe(true);
      expect(ipaddr.parse(address).range(), address).toBe('unicast');
    }
    const v6 = share((s) => s.headers['x-forwarded-for']!.includes(':'));
    expect(v6).toBeGreaterThan(0.15);
    expect(v6).toBeLessThan(0.35);
    // Visitors come back within a session: fewer addresses than requests.
    expect(addresses.size).toBeLessThan(mix.length / 2);
  });

  it('mixes desktop and mobile browsers with bots, in realistic shares', () => {
    const parser = new UserAgentParser();
    const agents = mix.map((s) => parser.parse(s.headers['user-agent']));
    const bots = agents.filter((a) => a.bot).length / agents.length;
    expect(bots).toBeGreaterThan(0.02);
    expect(bots).toBeLessThan(0.15);
    const devices = new Set(agents.map((a) => a.device));
    for (const device of ['desktop', 'mobile', 'tablet']) expect(devices).toContain(device);
    const browsers = new Set(agents.map((a) => a.browser?.name));
    for (const name of ['Chrome', 'Firefox', 'Safari', 'Edge', 'Mobile Safari']) {
      expect(browsers).toContain(name);
    }
    // isbot and the mix agree on who is a bot: bots send no browser headers.
    for (const spec of mix.slice(0, 2000)) {
      expect(isbot(spec.headers['user-agent']!)).toBe(spec.headers.accept === undefined);
    }
    // Chromium browsers send the low-entropy client hints with their User-Agent.
    const chromium = mix.filter((s) => / Chrome\/\d+\.0\.0\.0 /.test(s.headers['user-agent']!));
    expect(chromium.length).toBeGreaterThan(0);
    for (const spec of chromium) expect(spec.headers['sec-ch-ua']).toBeDefined();
  });

  it('repeats User-Agents as real traffic does, with a long tail', () => {
    const distinct = new Set(mix.map((s) => s.headers['user-agent'])).size;
    expect(distinct).toBeGreaterThan(100);
    expect(distinct).toBeLessThan(mix.length / 5);
  });

  it('carries every cookie state the middleware tells apart, and the privacy signals', () => {
    const cookie = (s: Spec) => s.headers.cookie ?? '';
    const choiceIn = `${traffic.CHOICE_COOKIE}=${traffic.CONSENT}`;
    const choiceOut = `${traffic.CHOICE_COOKIE}=out`;
    expect(share((s) => cookie(s) === '')).toBeGreaterThan(0.2);
    expect(
      share((s) => cookie(s).includes(choiceIn) && COOKIES.some((c) => cookie(s).includes(c))),
    ).toBeGreaterThan(0.1);
    expect(share((s) => cookie(s) === choiceIn)).toBeGreaterThan(0.005);
    expect(share((s) => cookie(s).includes(choiceOut))).toBeGreaterThan(0.05);
    expect(share((s) => cookie(s).includes('sid=') && !cookie(s).includes('pl_'))).toBeGreaterThan(
      0.05,
    );
    // A tampered visitor cookie: the name, but none of the issued values.
    expect(
      share((s) => cookie(s).includes('pl_vid=') && !COOKIES.some((c) => cookie(s).includes(c))),
    ).toBeGreaterThan(0.005);
    expect(share((s) => s.headers['sec-gpc'] === '1')).toBeGreaterThan(0.02);
    expect(share((s) => s.headers.dnt === '1')).toBeGreaterThan(0.02);
  });

  it('has referrers from other sites and from the site itself, and a mix of pages', () => {
    const ref = (s: Spec) => s.headers.referer ?? '';
    expect(share((s) => ref(s).startsWith(`https://${traffic.HOST}/`))).toBeGreaterThan(0.2);
    expect(share((s) => ref(s) !== '' && !ref(s).includes(traffic.HOST))).toBeGreaterThan(0.05);
    const paths = (prefix: string) => share((s) => s.path.startsWith(prefix));
    expect(paths('/products/')).toBeGreaterThan(0.2);
    expect(paths('/api/')).toBeGreaterThan(0.05);
    expect(paths('/search?')).toBeGreaterThan(0.03);
    expect(paths('/old-page-')).toBeGreaterThan(0.02);
  });

  it('gives a consenting visitor a visitor cookie from the second request of the session on', () => {
    const stream = traffic.requestStream({ seed: 3, visitorCookies: COOKIES });
    const requests = Array.from({ length: 5000 }, () => stream.next().value);
    const consenting = requests.filter(
      (s) => s.headers.cookie === `${traffic.CHOICE_COOKIE}=${traffic.CONSENT}`,
    );
    expect(consenting.length).toBeGreaterThan(0);
    // Without issued cookies the states that need one fall back to a bare consent.
    const without = traffic.makeRequests({ count: 2000, visitorCookies: [], seed: 3 });
    expect(without.some((s) => s.headers.cookie?.includes('pl_vid='))).toBe(false);
  });

  it('weighted() picks in proportion to the weights', () => {
    const r = traffic.random(9);
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 10_000; i++)
      counts[
        traffic.weighted(r, [
          [3, 'a'],
          [1, 'b'],
        ] as const)
      ]++;
    expect(counts.a / 10_000).toBeGreaterThan(0.7);
    expect(counts.a / 10_000).toBeLessThan(0.8);
  });
});
