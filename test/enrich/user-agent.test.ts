import { describe, expect, it } from 'vitest';
import { UserAgentParser } from '../../src/enrich/user-agent.js';
import { parseOptions } from '../../src/options.js';

const UA = {
  chromeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1',
  firefoxLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  firefoxUbuntu: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0',
  edge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51',
  safariMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
  chromeOs:
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  samsungTablet:
    'Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Safari/537.36',
  samsungPhone:
    'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36',
  ipad: 'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
  smartTv:
    'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36',
  ps5: 'Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  googlebotSmartphone:
    'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.118 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  bingbot:
    'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36',
  curl: 'curl/8.5.0',
  pythonRequests: 'python-requests/2.31.0',
} as const;

describe('UserAgentParser', () => {
  const parser = new UserAgentParser();

  it('parses desktop browsers', () => {
    expect(parser.parse(UA.chromeWindows)).toEqual({
      browser: { name: 'Chrome', major: '124' },
      os: { name: 'Windows', version: '10' },
      device: 'desktop',
      bot: false,
    });
    expect(parser.parse(UA.edge)).toEqual({
      browser: { name: 'Edge', major: '124' },
      os: { name: 'Windows', version: '10' },
      device: 'desktop',
      bot: false,
    });
    expect(parser.parse(UA.safariMac)).toEqual({
      browser: { name: 'Safari', major: '17' },
      os: { name: 'Mac OS', version: '10.15.7' },
      device: 'desktop',
      bot: false,
    });
    expect(parser.parse(UA.chromeOs).device).toBe('desktop');
    expect(parser.parse(UA.chromeOs).os?.name).toBe('Chromium OS');
  });

  it('leaves out what the parser cannot tell, rather than setting undefined', () => {
    const linux = parser.parse(UA.firefoxLinux);
    expect(linux).toEqual({
      browser: { name: 'Firefox', major: '125' },
      os: { name: 'Linux' },
      device: 'desktop',
      bot: false,
    });
    expect(Object.keys(linux.os ?? {})).toEqual(['name']);
    expect(parser.parse(UA.firefoxUbuntu).os).toEqual({ name: 'Ubuntu' });
    expect(parser.parse(UA.firefoxUbuntu).device).toBe('desktop');
  });

  it('parses phones, tablets, TVs and consoles', () => {
    expect(parser.parse(UA.safariIphone)).toEqual({
      browser: { name: 'Mobile Safari', major: '17' },
      os: { name: 'iOS', version: '17.4.1' },
      device: 'mobile',
      bot: false,
    });
    expect(parser.parse(UA.samsungTablet)).toEqual({
      browser: { name: 'Samsung Internet', major: '24' },
      os: { name: 'Android', version: '13' },
      device: 'tablet',
      bot: false,
    });
    expect(parser.parse(UA.samsungPhone).device).toBe('mobile');
    expect(parser.parse(UA.ipad).device).toBe('tablet');
    expect(parser.parse(UA.smartTv).device).toBe('smarttv');
    expect(parser.parse(UA.ps5).device).toBe('console');
  });

  it('flags crawlers and HTTP libraries as bots, never as desktops', () => {
    expect(parser.parse(UA.googlebot)).toEqual({ bot: true });
    expect(parser.parse(UA.bingbot)).toEqual({
      browser: { name: 'Chrome', major: '116' },
      bot: true,
    });
    expect(parser.parse(UA.googlebotSmartphone).bot).toBe(true);
    expect(parser.parse(UA.curl)).toEqual({ bot: true });
    expect(parser.parse(UA.pythonRequests)).toEqual({ bot: true });
    for (const name of [
      'chromeWindows',
      'safariIphone',
      'firefoxLinux',
      'edge',
      'samsungTablet',
    ] as const) {
      expect(parser.parse(UA[name]).bot).toBe(false);
    }
  });

  it('treats an absent or empty User-Agent as unknown, not as a bot', () => {
    expect(parser.parse(undefined)).toEqual({ bot: false });
    expect(parser.parse('')).toEqual({ bot: false });
  });

  it('survives garbage and keeps control characters out of the values', () => {
    const garbage = parser.parse('\u0000\u0085 ((( ;;; )))');
    expect(typeof garbage.bot).toBe('boolean');
    expect(garbage.browser).toBeUndefined();
    const forged = parser.parse('Mozilla/5.0 (Windows NT 10.0) Chrome/1\u00852.0 Safari/537.36');
    const controls = [...JSON.stringify(forged)].filter((unit) => {
      const code = unit.charCodeAt(0);
      return code < 0x20 || (code >= 0x7f && code <= 0x9f);
    });
    expect(controls).toEqual([]);
  });

  it('cuts a 10 KB header before parsing and caches by its bounded head and tail', () => {
    const own = new UserAgentParser({ maxLength: 512 });
    const huge = UA.chromeWindows + 'x'.repeat(10_000);
    const result = own.parse(huge);
    expect(result.browser).toEqual({ name: 'Chrome', major: '124' });
    // The same head and the same last 512 characters are the same cache entry...
    own.parse(`${UA.chromeWindows}${'x'.repeat(1_000)}${'y'.repeat(3_000)}${'x'.repeat(1_000)}`);
    expect(own.stats()).toEqual({ hits: 1, misses: 1, size: 1 });
    // ...a different tail is not: the bot check reads it.
    own.parse(`${huge}different tail`);
    expect(own.stats()).toEqual({ hits: 1, misses: 2, size: 2 });
  });

  it('sees the bot token at the end of a 2 KB User-Agent', () => {
    const own = new UserAgentParser();
    // Browser strings padded by extensions and toolbars, as long crawler strings are.
    const padding = Array.from({ length: 70 }, (_, i) => `Ext${i}/1.0.${i}`).join('; ');
    const long = `${UA.chromeWindows} (${padding}; ${padding})`;
    expect(long.length).toBeGreaterThan(1500);
    const crawler = `${long} (compatible; Googlebot/2.1; +http://www.google.com/bot.html)`;
    expect(crawler.length).toBeGreaterThan(2000);
    expect(own.parse(long).bot).toBe(false);
    expect(own.parse(crawler).bot).toBe(true);
    expect(own.parse(crawler).device).toBeUndefined();
    expect(own.parse(`Googlebot/2.1 ${long}`).bot).toBe(true);
    // A crawler name that is cut in the middle of a 16 KB string is not looked for there.
    expect(own.parse(`${long}${' Googlebot/2.1 '}${'z'.repeat(14_000)}`).bot).toBe(false);
  });

  it('caches by the string and returns the same frozen object', () => {
    const own = new UserAgentParser({ cacheSize: 2 });
    const first = own.parse(UA.chromeWindows);
    const second = own.parse(UA.chromeWindows);
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.browser)).toBe(true);
    expect(Object.isFrozen(first.os)).toBe(true);
    expect(own.stats()).toEqual({ hits: 1, misses: 1, size: 1 });
    own.parse(UA.edge);
    own.parse(UA.safariMac);
    expect(own.stats().size).toBe(2);
    own.parse(UA.chromeWindows);
    expect(own.stats()).toEqual({ hits: 1, misses: 4, size: 2 });
  });

  it('holds 10,000 distinct strings by default, and the logger does too', () => {
    // A site with this many distinct agents in view, each as likely as the next, must not parse
    // most of them again: a miss costs tens of microseconds, a hit well under one.
    const agents = Array.from(
      { length: 10_000 },
      (_, i) =>
        `Mozilla/5.0 (Linux; Android ${10 + (i % 5)}; SM-A${100 + (i % 900)}B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${100 + (i % 34)}.0.${4800 + i}.${i % 200} Mobile Safari/537.36`,
    );
    const own = new UserAgentParser();
    for (const ua of agents) own.parse(ua);
    for (const ua of agents) own.parse(ua);
    expect(own.stats()).toEqual({ hits: 10_000, misses: 10_000, size: 10_000 });
    expect(parseOptions({}).userAgentCacheSize).toBeGreaterThanOrEqual(10_000);
  });

  it('works with the cache turned off', () => {
    const own = new UserAgentParser({ cacheSize: 0 });
    expect(own.parse(UA.curl)).toEqual({ bot: true });
    expect(own.parse(UA.curl)).toEqual({ bot: true });
    expect(own.stats()).toEqual({ hits: 0, misses: 2, size: 0 });
  });

  it('rejects nonsense options', () => {
    expect(() => new UserAgentParser({ cacheSize: -1 })).toThrow(RangeError);
    expect(() => new UserAgentParser({ maxLength: 0 })).toThrow(RangeError);
    expect(() => new UserAgentParser({ cacheSize: 1.5 })).toThrow(RangeError);
  });
});

describe('device class when ua-parser-js gives none', () => {
  const parser = new UserAgentParser();

  // Real strings from handhelds, feature phones, TVs, set-top boxes and headsets, for which
  // ua-parser-js gives an OS but no device type.
  it.each([
    [
      'Windows CE, IEMobile',
      'Mozilla/4.0 (compatible; MSIE 6.0; Windows CE; IEMobile 7.11)',
      'mobile',
    ],
    [
      'Windows CE, Pocket PC',
      'Mozilla/4.0 (compatible; MSIE 4.01; Windows CE; PPC; 240x320)',
      'mobile',
    ],
    [
      'Windows CE, Palm',
      'Mozilla/4.0 (compatible; MSIE 6.0; Windows CE; IEMobile 8.12; MSIEMobile 6.0) Palm750/v0100',
      'mobile',
    ],
    [
      'Windows CE, Minimo',
      'Mozilla/5.0 (Windows; U; Windows CE 5.1; rv:1.8.1a3) Gecko/20060610 Minimo/0.016',
      'mobile',
    ],
    [
      'Windows Phone in desktop mode',
      'Mozilla/5.0 (Windows NT 6.2; ARM; Trident/7.0; Touch; rv:11.0; WPDesktop; Lumia 920) like Gecko',
      'mobile',
    ],
    [
      'UCWEB on a feature phone',
      'UCWEB/2.0 (MIDP-2.0; U; Adr 4.0.4; en-US; ZTE_U795) U2/1.0.0 UCBrowser/10.7.6.805 U2/1.0.0 Mobile',
      'mobile',
    ],
    [
      'Opera Mini on J2ME',
      'Opera/9.80 (J2ME/MIDP; Opera Mini/4.2.14912/870; U; en) Presto/2.4.15',
      'mobile',
    ],
    [
      'Tizen phone',
      'Mozilla/5.0 (Linux; U; Tizen/1.0 like Android; en-us; AppleWebKit/534.46 (KHTML, like Gecko) Tizen Browser/1.0 Mobile',
      'mobile',
    ],
    [
      'Panasonic Viera on FreeBSD',
      'Mozilla/5.0 (X11; FreeBSD; U; Viera; de-DE) AppleWebKit/537.11 (KHTML, like Gecko) Viera/3.10.0 Chrome/23.0.1271.97 Safari/537.11',
      'smarttv',
    ],
    [
      'Vizio set-top box',
      'Mozilla/5.0 (Linux; U; Linux Ventana; en-us; Vizio VAP430 Build/HTK55D) AppleWebKit/533.1 (KHTML, like Gecko) Version/4.0 Safari/533.1',
      'smarttv',
    ],
    [
      'NetRange TV',
      'Opera/9.80 (Linux armv7l; U; NETRANGEMMH; en) Presto/2.12.362 Version/12.11',
      'smarttv',
    ],
    [
      'Quest without a model',
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) OculusBrowser/23.2.0.4.49.401374055 SamsungBrowser/4.0 Chrome/104.0.5112.111 VR Safari/537.36',
      'xr',
    ],
  ])('%s', (_name, ua, device) => {
    expect(parser.parse(ua).device).toBe(device);
  });

  it('says desktop for desktop systems that show it', () => {
    for (const ua of [
      UA.chromeWindows,
      UA.firefoxLinux,
      UA.firefoxUbuntu,
      UA.safariMac,
      UA.chromeOs,
      'Mozilla/5.0 (X11; OpenBSD amd64; rv:120.0) Gecko/20100101 Firefox/120.0',
      'Mozilla/5.0 (X11; Fedora; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0',
      'Mozilla/5.0 (X11; Linux armv7l) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    ]) {
      expect(parser.parse(ua).device).toBe('desktop');
    }
  });

  it('leaves the device out when nothing shows it', () => {
    // A Linux set-top box with no desktop window system and no TV token, and Windows RT.
    expect(
      parser.parse(
        'Mozilla/5.0 (Linux; U; en-US) AppleWebKit/533.1 (KHTML, like Gecko) Version/5.0 Safari/533.1',
      ).device,
    ).toBeUndefined();
    expect(
      parser.parse('Mozilla/5.0 (Windows NT 6.2; ARM; Trident/7.0; Touch; rv:11.0) like Gecko')
        .device,
    ).toBeUndefined();
  });
});
