import { describe, expect, it } from 'vitest';
import { captureHints, parseClientHints } from '../../src/enrich/client-hints.js';
import { type ParsedAgent, UserAgentParser } from '../../src/enrich/user-agent.js';

/** A brand as a structured-field string: backslash and quote escaped. */
const sfString = (brand: string): string => `"${brand.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/**
 * GREASE brands as Chromium builds them: the words Not, A and Brand with punctuation between (and,
 * in older releases, before them), drawn from these sets by a per-release seed.
 */
const GREASY = [' ', '(', ':', '-', '.', '/', ')', ';', '=', '?', '_'];
const GREASE_BRANDS: string[] = [
  ...GREASY.map((_, seed) => {
    const at = (i: number) => GREASY[i % GREASY.length];
    return `Not${at(seed)}A${at(seed + 1)}Brand`;
  }),
  // Chrome 85 to 102: a separator before each word.
  ' Not A;Brand',
  ' Not;A Brand',
  ';Not A Brand',
  // Chrome 84 and 85 escaped characters.
  '\\Not"A;Brand',
  '"Not\\A;Brand',
  '(Not(A:Brand',
  'Not/A)Brand',
  'Not_A Brand',
  'Not?A_Brand',
];

describe('GREASE brands in Sec-CH-UA', () => {
  it.each(GREASE_BRANDS)('%j is skipped first, in the middle and last', (grease) => {
    const g = `${sfString(grease)};v="99"`;
    const chrome = '"Google Chrome";v="131"';
    const engine = '"Chromium";v="131"';
    for (const ua of [
      `${g}, ${chrome}, ${engine}`,
      `${chrome}, ${g}, ${engine}`,
      `${engine}, ${chrome}, ${g}`,
    ]) {
      expect(parseClientHints({ ua }).browser).toEqual({ name: 'Chrome', major: '131' });
    }
    expect(parseClientHints({ ua: `${g}, ${engine}` }).browser).toEqual({
      name: 'Chromium',
      major: '131',
    });
    expect(parseClientHints({ ua: g }).browser).toBeUndefined();
  });

  it('is skipped in the full version list as well', () => {
    const parsed = parseClientHints({
      ua: '";Not A Brand";v="99", "Microsoft Edge";v="120", "Chromium";v="120"',
      fullVersionList:
        '";Not A Brand";v="99.0.0.0", "Microsoft Edge";v="120.0.2210.91", "Chromium";v="120.0.6099.130"',
    });
    expect(parsed.browser).toEqual({ name: 'Edge', major: '120' });
  });

  it('a GREASE brand never names the browser through the User-Agent parser', () => {
    const parser = new UserAgentParser();
    const ua =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/98.0.4758.102 Safari/537.36';
    for (const grease of GREASE_BRANDS) {
      const hints = captureHints({
        'sec-ch-ua': `${sfString(grease)};v="99", "Chromium";v="98", "Google Chrome";v="98"`,
      });
      expect(parser.parse(ua, hints).browser).toEqual({ name: 'Chrome', major: '98' });
    }
  });

  it('a real brand that only looks alike is kept', () => {
    expect(parseClientHints({ ua: '"Notable Browser";v="3"' }).browser?.name).toBe(
      'Notable Browser',
    );
    expect(parseClientHints({ ua: '"Brand";v="3"' }).browser?.name).toBe('Brand');
  });
});

// Chromium sends these three hints on every HTTPS request, unasked.
const hints = (ua: string, mobile: string, platform: string) =>
  captureHints({ 'sec-ch-ua': ua, 'sec-ch-ua-mobile': mobile, 'sec-ch-ua-platform': platform });

const CHROMIUM_ONLY = '"Chromium";v="120", "Not_A Brand";v="24"';

interface Flat {
  browser?: string;
  major?: string;
  os?: string;
  osVersion?: string;
  device?: string;
  bot: boolean;
}

function flat(agent: ParsedAgent): Flat {
  const out: Flat = { bot: agent.bot };
  if (agent.browser?.name) out.browser = agent.browser.name;
  if (agent.browser?.major) out.major = agent.browser.major;
  if (agent.os?.name) out.os = agent.os.name;
  if (agent.os?.version) out.osVersion = agent.os.version;
  if (agent.device) out.device = agent.device;
  return out;
}

describe('client hints and the User-Agent combined: the more specific answer wins', () => {
  const parser = new UserAgentParser();

  it('a browser named in the string beats the generic Chromium brand', () => {
    const opera =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0';
    expect(flat(parser.parse(opera, hints(CHROMIUM_ONLY, '?0', '"Windows"')))).toEqual({
      browser: 'Opera',
      major: '106',
      os: 'Windows',
      device: 'desktop',
      bot: false,
    });
    const silk =
      'Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/118.4.1 like Chrome/118.0.5993.144 Safari/537.36';
    expect(
      flat(
        parser.parse(silk, hints('"Chromium";v="118", "Not=A?Brand";v="99"', '?0', '"Android"')),
      ),
    ).toEqual({
      browser: 'Silk',
      major: '118',
      os: 'Android',
      osVersion: '9',
      device: 'tablet',
      bot: false,
    });
    const chrome =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
    expect(parser.parse(chrome, hints(CHROMIUM_ONLY, '?0', '"Windows"')).browser).toEqual({
      name: 'Chrome',
      major: '120',
    });
  });

  it('an in-app browser named in the string beats the Android WebView brand', () => {
    const facebook =
      'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/127.0.6533.103 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/477.0.0.49.82;]';
    const webview = '"Not)A;Brand";v="99", "Android WebView";v="127", "Chromium";v="127"';
    expect(parser.parse(facebook, hints(webview, '?1', '"Android"')).browser).toEqual({
      name: 'Facebook',
      major: '477',
    });
  });

  it('a specific brand in the hints still beats the string', () => {
    const chrome =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
    const brave = '"Not_A Brand";v="8", "Chromium";v="120", "Brave";v="120"';
    expect(parser.parse(chrome, hints(brave, '?0', '"Windows"')).browser).toEqual({
      name: 'Brave',
      major: '120',
    });
  });

  it('a headset stays a headset and a TV a TV under "?0" and Linux', () => {
    const quest =
      'Mozilla/5.0 (X11; Linux x86_64; Quest 3) AppleWebKit/537.36 (KHTML, like Gecko) OculusBrowser/33.0.0.x SamsungBrowser/4.0 Chrome/126.0.6478.122 VR Safari/537.36';
    const questBrands = '"Not/A)Brand";v="8", "Chromium";v="126", "Oculus Browser";v="33"';
    const headset = parser.parse(quest, hints(questBrands, '?0', '"Linux"'));
    expect(headset.device).toBe(parser.parse(quest).device);
    expect(headset.device).not.toBe('desktop');
    expect(headset.device).toBeDefined();

    const tizen =
      'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36';
    const tv = flat(parser.parse(tizen, hints(CHROMIUM_ONLY, '?0', '"Linux"')));
    expect(tv).toEqual({
      browser: 'Samsung Internet',
      major: '4',
      os: 'Tizen',
      osVersion: '6.0',
      device: 'smarttv',
      bot: false,
    });

    const webos =
      'Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/94.0.4606.128 Safari/537.36 WebAppManager';
    const lg = flat(
      parser.parse(webos, hints('"Chromium";v="94", ";Not A Brand";v="99"', '?0', '"Linux"')),
    );
    expect(lg.device).toBe('smarttv');
    expect(lg.os).toBe('webOS');
  });

  it('"?0" with a desktop platform still makes an unknown device a desktop', () => {
    const linux =
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
    expect(parser.parse(linux, hints(CHROMIUM_ONLY, '?0', '"Linux"')).device).toBe('desktop');
    expect(parser.parse(undefined, hints(CHROMIUM_ONLY, '?0', '"Linux"')).device).toBe('desktop');
  });

  it('"?1" does not turn a UA-known watch or tablet into a phone', () => {
    const watch =
      'Mozilla/5.0 (Linux; Android 8.0.0; SM-R800) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/1.0 Chrome/57 Mobile Safari/537.36';
    expect(parser.parse(watch, hints(CHROMIUM_ONLY, '?1', '"Android"')).device).toBe('wearable');
  });

  it('the hint adds what the frozen string hides, and no more', () => {
    const mac =
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
    const withVersion = captureHints({
      'sec-ch-ua': '"Google Chrome";v="120", "Chromium";v="120", "Not_A Brand";v="24"',
      'sec-ch-ua-mobile': '?0',
      'sec-ch-ua-platform': '"macOS"',
      'sec-ch-ua-platform-version': '"14.4.1"',
    });
    expect(flat(parser.parse(mac, withVersion))).toEqual({
      browser: 'Chrome',
      major: '120',
      os: 'Mac OS',
      osVersion: '14.4.1',
      device: 'desktop',
      bot: false,
    });
  });
});

describe('hint values are bounded where they are parsed', () => {
  it('an oversized value handed straight to the parser is ignored, not parsed', () => {
    const padded = `"Google Chrome";v="131", ${'"Chromium";v="131", '.repeat(40)}"Brave";v="131"`;
    expect(padded.length).toBeGreaterThan(512);
    expect(parseClientHints({ ua: padded }).browser).toBeUndefined();
    const platform = `"${'Windows'.repeat(100)}"`;
    expect(parseClientHints({ ua: '"Brave";v="1"', platform }).os).toBeUndefined();
  });

  it('trailing zero parts of a long platform version are dropped', () => {
    const parsed = parseClientHints({
      ua: '"Google Chrome";v="131"',
      platform: '"macOS"',
      platformVersion: '"14.0.0"',
    });
    expect(parsed.osVersion).toBe('14');
    const linux = parseClientHints({
      ua: '"Google Chrome";v="131"',
      platform: '"Linux"',
      platformVersion: '"6.10.0.0"',
    });
    expect(linux.osVersion).toBe('6.10');
  });
});
