import { describe, expect, it } from 'vitest';
import { captureHints, parseClientHints } from '../../src/enrich/client-hints.js';
import { type ParsedAgent, UserAgentParser } from '../../src/enrich/user-agent.js';

/** What the record keeps of one User-Agent, flattened for a table. */
interface Expected {
  browser?: string;
  major?: string;
  os?: string;
  osVersion?: string;
  device?: string;
  bot: boolean;
}

function flat(agent: ParsedAgent): Expected {
  const out: Expected = { bot: agent.bot };
  if (agent.browser?.name) out.browser = agent.browser.name;
  if (agent.browser?.major) out.major = agent.browser.major;
  if (agent.os?.name) out.os = agent.os.name;
  if (agent.os?.version) out.osVersion = agent.os.version;
  if (agent.device) out.device = agent.device;
  return out;
}

/**
 * Real User-Agent strings as browsers, in-app browsers, crawlers, monitors and HTTP libraries send
 * them (Chromium's reduced form included: Android 10 and model K, macOS 10.15.7 and Windows NT 10
 * are frozen values there), with what the record keeps of each.
 */
const TABLE: [string, string, Expected][] = [
  [
    'Chrome 131 Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    {
      browser: 'Chrome',
      major: '131',
      os: 'Windows',
      osVersion: '10',
      device: 'desktop',
      bot: false,
    },
  ],
  [
    'Chrome 131 macOS',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    {
      browser: 'Chrome',
      major: '131',
      os: 'Mac OS',
      osVersion: '10.15.7',
      device: 'desktop',
      bot: false,
    },
  ],
  [
    'Chrome 131 Linux',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    { browser: 'Chrome', major: '131', os: 'Linux', device: 'desktop', bot: false },
  ],
  [
    'Chrome 131 ChromeOS',
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    {
      browser: 'Chrome',
      major: '131',
      os: 'Chromium OS',
      osVersion: '14541.0.0',
      device: 'desktop',
      bot: false,
    },
  ],
  [
    'Chrome 131 Android',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
    {
      browser: 'Chrome',
      major: '131',
      os: 'Android',
      osVersion: '10',
      device: 'mobile',
      bot: false,
    },
  ],
  [
    'Chrome Android tablet',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    {
      browser: 'Chrome',
      major: '131',
      os: 'Android',
      osVersion: '10',
      device: 'tablet',
      bot: false,
    },
  ],
  [
    'Chrome iOS',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
    { browser: 'Chrome', major: '131', os: 'iOS', osVersion: '17.7', device: 'mobile', bot: false },
  ],
  [
    'Edge 131 Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
    {
      browser: 'Edge',
      major: '131',
      os: 'Windows',
      osVersion: '10',
      device: 'desktop',
      bot: false,
    },
  ],
  [
    'Edge Android',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0',
    { browser: 'Edge', major: '131', os: 'Android', osVersion: '10', device: 'mobile', bot: false },
  ],
  [
    'Edge iOS',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/131.2903.68 Mobile/15E148 Safari/605.1.15',
    { browser: 'Edge', major: '131', os: 'iOS', osVersion: '17.7', device: 'mobile', bot: false },
  ],
  [
    'Firefox 133 Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
    {
      browser: 'Firefox',
      major: '133',
      os: 'Windows',
      osVersion: '10',
      device: 'desktop',
      bot: false,
    },
  ],
  [
    'Firefox 133 macOS',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0',
    {
      browser: 'Firefox',
      major: '133',
      os: 'Mac OS',
      osVersion: '10.15',
      device: 'desktop',
      bot: false,
    },
  ],
  [
    'Firefox 133 Linux',
    'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
    { browser: 'Firefox', major: '133', os: 'Linux', device: 'desktop', bot: false },
  ],
  [
    'Firefox Ubuntu',
    'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
    { browser: 'Firefox', major: '133', os: 'Ubuntu', device: 'desktop', bot: false },
  ],
  [
    'Firefox Android',
    'Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0',
    {
      browser: 'Firefox',
      major: '133',
      os: 'Android',
      osVersion: '14',
      device: 'mobile',
      bot: false,
    },
  ],
  [
    'Firefox iOS',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15',
    {
      browser: 'Firefox',
      major: '133',
      os: 'iOS',
      osVersion: '17.7',
      device: 'mobile',
      bot: false,
    },
  ],
  [
    'Firefox ESR 115',
    'Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0',
    {
      browser: 'Firefox',
      major: '115',
      os: 'Windows',
      osVersion: '7',
      device: 'desktop',
      bot: false,
    },
  ],
  [
    'Safari 18 macOS',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
    {
      browser: 'Safari',
      major: '18',
      os: 'Mac OS',
      osVersion: '10.15.7',
      device: 'desktop',
      bot: false,
    },
  ],
  [
    'Safari iPhone',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    {
      browser: 'Mobile Safari',
      major: '18',
      os: 'iOS',
      osVersion: '18.1',
      device: 'mobile',
      bot: false,
    },
  ],
  [
    'Safari iPad',
    'Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.7 Mobile/15E148 Safari/604.1',
    {
      browser: 'Mobile Safari',
      major: '17',
      os: 'iOS',
      osVersion: '17.7',
      device: 'tablet',
      bot: false,
    },
  ],
  [
    'Samsung Internet',
    'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
    {
      browser: 'Samsung Internet',
      major: '26',
      os: 'Android',
      osVersion: '14',
      device: 'mobile',
      bot: false,
    },
  ],
  [
    'Opera desktop',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0',
    {
      browser: 'Opera',
      major: '115',
      os: 'Windows',
      osVersion: '10',
      device: 'desktop',
      bot: false,
    },
  ],
  [
    'Opera Mobile',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36 OPR/86.0.0.0',
    { browser: 'Opera', major: '86', os: 'Android', osVersion: '10', device: 'mobile', bot: false },
  ],
  [
    'Vivaldi',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Vivaldi/7.0.3495.18',
    {
      browser: 'Vivaldi',
      major: '7',
      os: 'Windows',
      osVersion: '10',
      device: 'desktop',
      bot: false,
    },
  ],
  [
    'Yandex',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 YaBrowser/24.10.0.0 Safari/537.36',
    {
      browser: 'Yandex',
      major: '24',
      os: 'Windows',
      osVersion: '10',
      device: 'desktop',
      bot: false,
    },
  ],
  [
    'UC Browser',
    'Mozilla/5.0 (Linux; U; Android 9; en-US; Redmi Note 8 Build/PKQ1.190616.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/78.0.3904.108 UCBrowser/13.4.0.1306 Mobile Safari/537.36',
    {
      browser: 'UCBrowser',
      major: '13',
      os: 'Android',
      osVersion: '9',
      device: 'mobile',
      bot: false,
    },
  ],
  [
    'Huawei Browser',
    'Mozilla/5.0 (Linux; Android 10; HarmonyOS; ELS-NX9; HMSCore 6.11.0.302) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.88 HuaweiBrowser/14.0.2.311 Mobile Safari/537.36',
    {
      browser: 'Huawei Browser',
      major: '14',
      os: 'HarmonyOS',
      osVersion: '10',
      device: 'mobile',
      bot: false,
    },
  ],
  [
    'Brave (same as Chrome)',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    {
      browser: 'Chrome',
      major: '131',
      os: 'Windows',
      osVersion: '10',
      device: 'desktop',
      bot: false,
    },
  ],
  [
    'Android WebView',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240905.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.39 Mobile Safari/537.36',
    {
      browser: 'Chrome WebView',
      major: '131',
      os: 'Android',
      osVersion: '14',
      device: 'mobile',
      bot: false,
    },
  ],
  [
    'Facebook in-app Android',
    'Mozilla/5.0 (Linux; Android 14; SM-A546B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.39 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/490.0.0.50.108;]',
    {
      browser: 'Facebook',
      major: '490',
      os: 'Android',
      osVersion: '14',
      device: 'mobile',
      bot: false,
    },
  ],
  [
    'Facebook in-app iOS',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/487.0.0.36.106;FBBV/661233340;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.6.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/663409823]',
    {
      browser: 'Facebook',
      major: '487',
      os: 'iOS',
      osVersion: '17.6.1',
      device: 'mobile',
      bot: false,
    },
  ],
  [
    'Instagram iOS',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 352.0.0.22.83 (iPhone14,2; iOS 17_5; en_US; en; scale=3.00; 1170x2532; 646585838)',
    {
      browser: 'Instagram',
      major: '352',
      os: 'iOS',
      osVersion: '17.5',
      device: 'mobile',
      bot: false,
    },
  ],
  [
    'Instagram Android',
    'Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.107 Mobile Safari/537.36 Instagram 355.0.0.37.103 Android (33/13; 480dpi; 1080x2176; samsung; SM-G991B; o1s; exynos2100; en_GB; 652359282)',
    {
      browser: 'Instagram',
      major: '355',
      os: 'Android',
      osVersion: '13',
      device: 'mobile',
      bot: false,
    },
  ],
  [
    'TikTok Android',
    'Mozilla/5.0 (Linux; Android 12; SM-A125F Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.134 Mobile Safari/537.36 trill_350402 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/trill app_version/35.4.2 ByteLocale/en ByteFullLocale/en Region/US AppId/1180 Spark/1.5.9.1 AppVersion/35.4.2 BytedanceWebview/d8a21c6',
    {
      browser: 'Chrome WebView',
      major: '126',
      os: 'Android',
      osVersion: '12',
      device: 'mobile',
      bot: false,
    },
  ],
  [
    'LINE iOS',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/14.6.0',
    { browser: 'Line', major: '14', os: 'iOS', osVersion: '17.4', device: 'mobile', bot: false },
  ],
  [
    'WeChat Android',
    'Mozilla/5.0 (Linux; Android 12; V2111A Build/SP1A.210812.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 MMWEBSDK/20230504 MMWEBID/1725 MicroMessenger/8.0.37.2380(0x28002537) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64',
    { browser: 'WeChat', major: '8', os: 'Android', osVersion: '12', device: 'mobile', bot: false },
  ],
  [
    'Smart TV Tizen',
    'Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) 76.0.3809.146/6.0 TV Safari/537.36',
    { browser: 'Safari', os: 'Tizen', osVersion: '6.0', device: 'smarttv', bot: false },
  ],
  [
    'PlayStation 5',
    'Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15',
    {
      browser: 'Safari',
      major: '13',
      os: 'PlayStation',
      osVersion: '5',
      device: 'console',
      bot: false,
    },
  ],
  [
    'Xbox One',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edge/44.18363.8131',
    { browser: 'Edge', major: '44', os: 'Xbox', osVersion: 'One', device: 'console', bot: false },
  ],
  [
    'Kindle Fire Silk',
    'Mozilla/5.0 (Linux; Android 9; KFMAWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/130.4.1 like Chrome/130.0.6723.102 Safari/537.36',
    { browser: 'Silk', major: '130', os: 'Android', osVersion: '9', device: 'tablet', bot: false },
  ],
  [
    'IE 11',
    'Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko',
    { browser: 'IE', major: '11', os: 'Windows', osVersion: '10', device: 'desktop', bot: false },
  ],
  [
    'Googlebot',
    'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    { bot: true },
  ],
  [
    'Googlebot smartphone',
    'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    {
      browser: 'Chrome',
      major: '131',
      os: 'Android',
      osVersion: '6.0.1',
      device: 'mobile',
      bot: true,
    },
  ],
  [
    'Bingbot',
    'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
    { bot: true },
  ],
  ['DuckDuckBot', 'DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)', { bot: true }],
  ['YandexBot', 'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)', { bot: true }],
  [
    'Baiduspider',
    'Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)',
    { bot: true },
  ],
  [
    'Applebot',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)',
    { browser: 'Safari', major: '13', os: 'Mac OS', osVersion: '10.15.5', bot: true },
  ],
  [
    'GPTBot',
    'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)',
    { browser: 'WebKit', major: '537', bot: true },
  ],
  [
    'ClaudeBot',
    'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)',
    { browser: 'WebKit', major: '537', bot: true },
  ],
  [
    'facebookexternalhit',
    'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
    { bot: true },
  ],
  ['Twitterbot', 'Twitterbot/1.0', { bot: true }],
  ['Slackbot', 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', { bot: true }],
  [
    'AhrefsBot',
    'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
    { bot: true },
  ],
  [
    'UptimeRobot',
    'Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)',
    { bot: true },
  ],
  ['Pingdom', 'Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)', { bot: true }],
  [
    'HeadlessChrome',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
    { browser: 'Chrome Headless', major: '131', os: 'Linux', bot: true },
  ],
  ['curl', 'curl/8.5.0', { bot: true }],
  ['Wget', 'Wget/1.21.4', { bot: true }],
  ['python-requests', 'python-requests/2.32.3', { bot: true }],
  ['Go http client', 'Go-http-client/2.0', { bot: true }],
  ['Java HttpClient', 'Java-http-client/21.0.5', { bot: true }],
  ['okhttp', 'okhttp/4.12.0', { bot: true }],
  ['axios', 'axios/1.7.7', { bot: true }],
  ['node-fetch', 'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)', { bot: true }],
  ['PostmanRuntime', 'PostmanRuntime/7.42.0', { bot: true }],
  ['Apache-HttpClient', 'Apache-HttpClient/4.5.14 (Java/17.0.9)', { bot: true }],
  ['libwww-perl', 'libwww-perl/6.77', { bot: true }],
  ['Empty', '', { bot: false }],
  ['Garbage', '\u0001\u0002 ;;; ((( not a browser )))', { bot: false }],
  ['Just Mozilla', 'Mozilla/5.0', { bot: true }],
];

const TEN_KB = `Mozilla/5.0 (Windows NT 10.0; Win64; x64) ${'A'.repeat(10 * 1024)}`;

describe('User-Agent table', () => {
  const parser = new UserAgentParser();

  it('has at least 60 real strings', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(60);
  });

  it.each(TABLE)('%s', (_name, ua, expected) => {
    expect(flat(parser.parse(ua))).toEqual(expected);
  });

  it('an absent User-Agent is unknown, not a bot', () => {
    expect(flat(parser.parse(undefined))).toEqual({ bot: false });
  });

  it('a 10 KB User-Agent costs what a 512-character one does and keeps nothing long', () => {
    const agent = parser.parse(TEN_KB);
    expect(JSON.stringify(agent).length).toBeLessThan(200);
    expect(parser.parse(TEN_KB)).toBe(agent);
  });
});

// Chromium sends these three hints on every HTTPS request, unasked.
const hints = (ua: string, mobile: string, platform: string, more: Record<string, string> = {}) =>
  captureHints({
    'sec-ch-ua': ua,
    'sec-ch-ua-mobile': mobile,
    'sec-ch-ua-platform': platform,
    ...more,
  })!;

const CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const ANDROID_UA =
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
const MAC_UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const CHROME_BRANDS = '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"';

describe('client hints win over the reduced User-Agent string', () => {
  const parser = new UserAgentParser();

  it('agree: same browser, the frozen Windows version is dropped rather than guessed', () => {
    expect(flat(parser.parse(CHROME_UA, hints(CHROME_BRANDS, '?0', '"Windows"')))).toEqual({
      browser: 'Chrome',
      major: '131',
      os: 'Windows',
      device: 'desktop',
      bot: false,
    });
  });

  it('the platform-version hint tells Windows 11 from 10', () => {
    const asked = (v: string) =>
      flat(
        parser.parse(
          CHROME_UA,
          hints(CHROME_BRANDS, '?0', '"Windows"', { 'sec-ch-ua-platform-version': v }),
        ),
      ).osVersion;
    expect(asked('"15.0.0"')).toBe('11');
    expect(asked('"13.0.0"')).toBe('11');
    expect(asked('"10.0.0"')).toBe('10');
    expect(asked('"0.3.0"')).toBeUndefined();
  });

  it('disagree on the brand: Edge in the hints, plain Chrome in the string', () => {
    const edge = '"Microsoft Edge";v="131", "Chromium";v="131", "Not_A Brand";v="24"';
    expect(flat(parser.parse(CHROME_UA, hints(edge, '?0', '"Windows"'))).browser).toBe('Edge');
  });

  it('disagree on everything: a UA-switcher extension claims Firefox on Linux', () => {
    const spoofed = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
    expect(flat(parser.parse(spoofed, hints(CHROME_BRANDS, '?0', '"macOS"')))).toEqual({
      browser: 'Chrome',
      major: '131',
      os: 'Mac OS',
      device: 'desktop',
      bot: false,
    });
  });

  it('disagree on the device: a phone asking for the desktop site sends a desktop string', () => {
    const desktopString =
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
    expect(flat(parser.parse(desktopString, hints(CHROME_BRANDS, '?1', '"Android"')))).toEqual({
      browser: 'Chrome',
      major: '131',
      os: 'Android',
      device: 'mobile',
      bot: false,
    });
  });

  it('the frozen Android 10 and macOS 10.15.7 give way to the hinted version, or to none', () => {
    const android = parser.parse(
      ANDROID_UA,
      hints(CHROME_BRANDS, '?1', '"Android"', { 'sec-ch-ua-platform-version': '"14.0.0"' }),
    );
    expect(android.os).toEqual({ name: 'Android', version: '14' });
    expect(parser.parse(ANDROID_UA, hints(CHROME_BRANDS, '?1', '"Android"')).os).toEqual({
      name: 'Android',
    });
    const mac = parser.parse(
      MAC_UA,
      hints(CHROME_BRANDS, '?0', '"macOS"', { 'sec-ch-ua-platform-version': '"14.4.1"' }),
    );
    expect(mac.os).toEqual({ name: 'Mac OS', version: '14.4.1' });
  });

  it('Android without "mobile" is a tablet', () => {
    expect(parser.parse(ANDROID_UA, hints(CHROME_BRANDS, '?0', '"Android"')).device).toBe('tablet');
  });

  it('a headless browser that hides it in the string is still a bot', () => {
    const headless = '"HeadlessChrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"';
    const agent = parser.parse(CHROME_UA, hints(headless, '?0', '"Linux"'));
    expect(agent.bot).toBe(true);
    expect(agent.browser?.name).toBe('Chrome Headless');
  });

  it('hints without a User-Agent string still name the browser', () => {
    expect(flat(parser.parse(undefined, hints(CHROME_BRANDS, '?1', '"Android"')))).toEqual({
      browser: 'Chrome',
      major: '131',
      os: 'Android',
      device: 'mobile',
      bot: false,
    });
  });

  it('malformed hints are ignored one by one; the string fills in', () => {
    const agent = flat(parser.parse(ANDROID_UA, hints('Chrome 131 (((', 'yes', 'Windows')));
    expect(agent).toEqual(flat(parser.parse(ANDROID_UA)));
  });

  it('GREASE brands are skipped and the full version list gives only the major', () => {
    const parsed = parseClientHints({
      ua: '"Not/A)Brand";v="8", "Chromium";v="126", "Brave";v="126"',
      fullVersionList:
        '"Not/A)Brand";v="8.0.0.0", "Chromium";v="126.0.6478.127", "Brave";v="126.1.67.123"',
    });
    expect(parsed.browser).toEqual({ name: 'Brave', major: '126' });
  });

  it('captures nothing from a browser that sends no Sec-CH-UA, and nothing oversized', () => {
    expect(captureHints({ 'user-agent': CHROME_UA })).toBeUndefined();
    expect(captureHints({ 'sec-ch-ua': 'x'.repeat(600) })).toBeUndefined();
  });
});
