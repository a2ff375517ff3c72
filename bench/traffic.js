// The request mix of the benchmarks: browsers, phones and bots, client addresses from public IPv4
// and IPv6 networks (sent as X-Forwarded-For, as a reverse proxy on this machine would), cookies in
// every state the middleware distinguishes, privacy signals and referrers. Deterministic: the same
// seed gives the same requests, so every variant of a run serves exactly the same traffic.

/** The cookie secret of every benchmark server; visitor cookies are signed with it. */
export const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
/** The site's own host name (the Host header), so that same-site referrers are recognised. */
export const HOST = 'shop.example';
/**
 * The choice cookie (`choices.cookieName`, default `pl_choice`) as browsers send it to a site on
 * HTTPS: every request of the mix comes through the proxy as HTTPS (X-Forwarded-Proto), where the
 * library names its cookies with the `__Host-` prefix. Visitor cookies are issued by a server.
 */
export const CHOICE_COOKIE = '__Host-pl_choice';

/**
 * What a consenting browser's choice cookie holds: `in`, then one token per purpose under consent.
 * The mix serves every preset, so it carries the tokens of all of them: a consent counts where the
 * cookie covers every purpose the policy asks consent for, and extra tokens do no harm.
 */
export const CONSENT = await consentValue();

async function consentValue() {
  const [{ presets }, { compilePolicy }] = await Promise.all([
    import('../dist/index.js'),
    import('../dist/internal/index.js'),
  ]);
  const tokens = new Set();
  for (const name of Object.keys(presets)) {
    for (const token of compilePolicy(presets[name]).consentScope) tokens.add(token);
  }
  return ['in', ...tokens].join('.');
}

/** A small, fast, seedable PRNG (mulberry32): returns floats in [0, 1). */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (r, list) => list[Math.floor(r() * list.length)];
const int = (r, min, max) => min + Math.floor(r() * (max - min + 1));
/** A version between `min` and `max`, newer ones more often (browsers update themselves). */
const recent = (r, min, max) => max - Math.floor(r() * r() * (max - min + 1));

/**
 * Pick from `[weight, value]` pairs in proportion to the weights.
 * @template T
 * @param {() => number} r
 * @param {readonly (readonly [number, T])[]} pairs
 * @returns {T}
 */
export function weighted(r, pairs) {
  let total = 0;
  for (const [w] of pairs) total += w;
  let x = r() * total;
  for (const [w, value] of pairs) {
    x -= w;
    if (x < 0) return value;
  }
  return pairs[pairs.length - 1][1];
}

// --- User agents -------------------------------------------------------------------------------
// Families of real-world User-Agent strings with their share of traffic. Chromium browsers send the
// reduced form (minor versions 0.0.0) and the low-entropy client hints; Safari, Firefox and apps
// vary in full versions and device models, which is where a site sees thousands of distinct strings.

const WINDOWS = ['Windows NT 10.0; Win64; x64'];
const MAC = 'Macintosh; Intel Mac OS X 10_15_7';
const ANDROID_MODELS = ['K'];
const SAMSUNG_MODELS = ['SM-S918B', 'SM-A546B', 'SM-G991B', 'SM-A136B', 'SM-S911U', 'SM-X700'];
const IOS_VERSIONS = ['16_7_10', '17_4_1', '17_5_1', '17_6_1', '18_0', '18_1_1', '18_2', '18_3_2'];
const MAC_SAFARI = ['16.6', '17.4.1', '17.5', '17.6', '18.0', '18.1.1', '18.2', '18.3'];

function chromiumHints(brand, major, mobile, platform) {
  return {
    'sec-ch-ua': `"${brand}";v="${major}", "Chromium";v="${major}", "Not_A Brand";v="24"`,
    'sec-ch-ua-mobile': mobile ? '?1' : '?0',
    'sec-ch-ua-platform': `"${platform}"`,
  };
}

/** @type {readonly (readonly [number, (r: () => number) => { ua: string, hints?: object, bot?: boolean }])[]} */
const FAMILIES = [
  [
    30,
    (r) => {
      const v = recent(r, 126, 133);
      return {
        ua: `Mozilla/5.0 (${pick(r, WINDOWS)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`,
        hints: chromiumHints('Google Chrome', v, false, 'Windows'),
      };
    },
  ],
  [
    8,
    (r) => {
      const v = recent(r, 126, 133);
      return {
        ua: `Mozilla/5.0 (${MAC}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`,
        hints: chromiumHints('Google Chrome', v, false, 'macOS'),
      };
    },
  ],
  [
    5,
    (r) => {
      const v = recent(r, 126, 133);
      return {
        ua: `Mozilla/5.0 (${pick(r, WINDOWS)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36 Edg/${v}.0.${2100 + (v - 126) * 60}.${40 + ((v * 7) % 50)}`,
        hints: chromiumHints('Microsoft Edge', v, false, 'Windows'),
      };
    },
  ],
  [
    6,
    (r) => {
      const v = recent(r, 128, 135);
      const os = pick(r, [
        'Windows NT 10.0; Win64; x64; rv:',
        'X11; Linux x86_64; rv:',
        'X11; Ubuntu; Linux x86_64; rv:',
        'Macintosh; Intel Mac OS X 10.15; rv:',
      ]);
      return { ua: `Mozilla/5.0 (${os}${v}.0) Gecko/20100101 Firefox/${v}.0` };
    },
  ],
  [
    6,
    (r) => ({
      ua: `Mozilla/5.0 (${MAC}) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${pick(r, MAC_SAFARI)} Safari/605.1.15`,
    }),
  ],
  [
    18,
    (r) => {
      const ios = pick(r, IOS_VERSIONS);
      const device = weighted(r, [
        [8, 'iPhone; CPU iPhone OS'],
        [2, 'iPad; CPU OS'],
      ]);
      return {
        ua: `Mozilla/5.0 (${device} ${ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${ios.split('_').slice(0, 2).join('.')} Mobile/15E148 Safari/604.1`,
      };
    },
  ],
  [
    14,
    (r) => {
      const v = recent(r, 126, 133);
      return {
        ua: `Mozilla/5.0 (Linux; Android 10; ${pick(r, ANDROID_MODELS)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Mobile Safari/537.36`,
        hints: chromiumHints('Google Chrome', v, true, 'Android'),
      };
    },
  ],
  [
    3,
    (r) => {
      const v = recent(r, 24, 27);
      return {
        ua: `Mozilla/5.0 (Linux; Android ${int(r, 12, 14)}; ${pick(r, SAMSUNG_MODELS)}) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/${v}.0 Chrome/${int(r, 115, 125)}.0.0.0 Mobile Safari/537.36`,
        hints: chromiumHints('Samsung Internet', v, true, 'Android'),
      };
    },
  ],
  [
    2,
    // In-app browsers carry build numbers: nearly every one is a string the cache has not seen.
    (r) => {
      const ios = pick(r, IOS_VERSIONS);
      return {
        ua: `Mozilla/5.0 (iPhone; CPU iPhone OS ${ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/${int(r, 440, 490)}.0.0.${int(r, 10, 60)}.${int(r, 100, 999)};FBBV/${int(r, 600000000, 699999999)};FBDV/iPhone${int(r, 12, 17)},${int(r, 1, 5)};FBMD/iPhone;FBSN/iOS;FBSV/${ios.replaceAll('_', '.')};FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]`,
      };
    },
  ],
  [
    8,
    (r) => ({
      bot: true,
      ua: pick(r, [
        'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
        'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.204 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
        'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
        'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
        'Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)',
        'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)',
        'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
        'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
        'curl/8.5.0',
        'python-requests/2.32.3',
        'Go-http-client/1.1',
        'Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)',
      ]),
    }),
  ],
];

/** One client's User-Agent, with the client hints a Chromium browser sends alongside. */
export function userAgent(r) {
  return weighted(r, FAMILIES)(r);
}

// --- Client addresses --------------------------------------------------------------------------
// Networks of large access providers and hosting companies on several continents. Only ever sent
// as header text: nothing connects to them.

const IPV4_NETS = [
  [24, 48],
  [73, 15],
  [98, 207],
  [71, 190],
  [79, 192],
  [84, 128],
  [91, 64],
  [82, 64],
  [90, 3],
  [93, 34],
  [83, 54],
  [94, 208],
  [5, 18],
  [110, 8],
  [126, 0],
  [177, 9],
  [41, 13],
  [101, 160],
  [66, 249],
  [40, 77],
];
const IPV6_NETS = [
  '2a02:8108',
  '2a01:cb00',
  '2a00:23c4',
  '2600:1700',
  '2601:0646',
  '2405:6580',
  '2804:014c',
  '2409:4040',
];

const hex16 = (r) => Math.floor(r() * 0x10000).toString(16);

/** A public client address: about one in four is IPv6, as in European and US traffic. */
export function clientAddress(r) {
  if (r() < 0.25) {
    const net = pick(r, IPV6_NETS);
    return `${net}:${hex16(r)}:${hex16(r)}:${hex16(r)}:${hex16(r)}:${hex16(r)}:${hex16(r)}`;
  }
  const [a, b] = pick(r, IPV4_NETS);
  return `${a}.${b}.${int(r, 0, 255)}.${int(r, 1, 254)}`;
}

// --- Pages and referrers -----------------------------------------------------------------------

const SEARCH_TERMS = ['kettle', 'teapot', 'green+tea', 'mug', 'gift+set', 'tea%20towel', 'oolong'];

/** A path on the benchmark site (see bench/app.js): pages, a search, an API call and a miss. */
export function path(r) {
  return weighted(r, [
    [20, () => '/'],
    [40, () => `/products/${int(r, 1, 60)}`],
    [10, () => `/search?q=${pick(r, SEARCH_TERMS)}&page=${int(r, 1, 4)}&utm_source=newsletter`],
    [15, () => `/api/products?limit=${pick(r, [10, 20, 50])}&offset=${int(r, 0, 5) * 10}`],
    [8, () => '/about'],
    [7, () => `/old-page-${int(r, 1, 30)}.html`],
  ])();
}

/** A Referer: none, the same site, a search engine, social media or another site. */
export function referrer(r) {
  return weighted(r, [
    [45, undefined],
    [25, `https://${HOST}/products/${int(r, 1, 60)}`],
    [15, pick(r, ['https://www.google.com/', 'https://www.bing.com/', 'https://duckduckgo.com/'])],
    [5, pick(r, ['https://t.co/', 'https://l.facebook.com/', 'https://www.reddit.com/'])],
    [
      10,
      `https://${pick(r, ['blog.tea-lovers.example', 'news.example.org', 'forum.example.net'])}/2024/${int(r, 1, 12)}/some-article?ref=${int(r, 1, 999)}`,
    ],
  ]);
}

// --- Cookies and signals -----------------------------------------------------------------------

/**
 * Every state the middleware tells apart: no cookie, other sites' cookies only, a consented
 * visitor with a valid signed id, a consent without an id yet (the server issues one), a tampered
 * id, the opt-out marker. Weights are shares of requests.
 */
export const COOKIE_STATES = [
  [35, 'none'],
  [15, 'foreign'],
  [25, 'visitor'],
  [5, 'consent'],
  [3, 'tampered'],
  [10, 'optOut'],
  [7, 'visitorOptOut'],
];

const NEEDS_VISITOR = new Set(['visitor', 'tampered', 'visitorOptOut']);

const FOREIGN = ['sid=s%3A0f3a9c2e1b7d4a68.Zk1q', 'lang=en', 'cart=3', '_ga=GA1.2.12345.67890'];

/**
 * The Cookie header of one request.
 * @param {() => number} r
 * @param {string} state one of {@link COOKIE_STATES}
 * @param {readonly string[]} visitorCookies `name=value` pairs issued by a benchmark server
 */
export function cookieHeader(r, state, visitorCookies) {
  const foreign = () => FOREIGN.slice(0, int(r, 1, FOREIGN.length)).join('; ');
  const visitor = () => pick(r, visitorCookies);
  switch (state) {
    case 'none':
      return undefined;
    case 'foreign':
      return foreign();
    case 'visitor':
      return `${foreign()}; ${CHOICE_COOKIE}=${CONSENT}; ${visitor()}`;
    case 'consent':
      return `${CHOICE_COOKIE}=${CONSENT}`;
    case 'tampered': {
      const pair = visitor();
      return `${CHOICE_COOKIE}=${CONSENT}; ${pair.slice(0, -3)}${pair.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    }
    case 'optOut':
      return `${foreign()}; ${CHOICE_COOKIE}=out`;
    case 'visitorOptOut':
      return `${CHOICE_COOKIE}=out; ${visitor()}`;
    default:
      throw new Error(`unknown cookie state ${state}`);
  }
}

// --- Sessions and requests -------------------------------------------------------------------

const ACCEPT_HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const LANGUAGES = ['en-GB,en;q=0.9', 'de-DE,de;q=0.9,en;q=0.8', 'fr-FR,fr;q=0.9', 'en-US,en;q=0.5'];
/** Sessions open at once in one stream; each request continues one of them, chosen at random. */
const OPEN_SESSIONS = 16;

/** `name=value; name=value` into pairs, in order. */
const cookiePairs = (header) =>
  header === undefined
    ? []
    : header
        .split('; ')
        .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]);

/**
 * One visitor's session: the same address, User-Agent and signals on every request, a first page
 * reached from another site (or typed), then pages of this site with a same-site Referer. Its
 * cookies start in one of {@link COOKIE_STATES} and then follow what the server answers, as a
 * browser's would (see {@link Visitors.receive}).
 */
function newSession(r, visitorCookies) {
  const agent = userAgent(r);
  const session = {
    agent,
    address: clientAddress(r),
    // Bots fetch a page or three; people read about four, some many more.
    left: agent.bot ? int(r, 1, 3) : Math.min(1 + Math.floor(-Math.log(1 - r()) * 3), 15),
    state: 'none',
    gpc: !agent.bot && r() < 0.08,
    dnt: !agent.bot && r() < 0.1,
    referrer: agent.bot ? undefined : referrer(r),
    cookies: [],
  };
  if (!agent.bot) {
    let state = weighted(r, COOKIE_STATES);
    if (visitorCookies.length === 0 && NEEDS_VISITOR.has(state)) state = 'consent';
    session.state = state;
    session.cookies = cookiePairs(cookieHeader(r, state, visitorCookies));
  }
  return session;
}

/**
 * Visitors of the site: an endless, deterministic stream of requests from interleaved sessions,
 * `{ method, path, headers }` with header names in lower case.
 *
 * With `feedback`, the caller hands each response's `Set-Cookie` lines to {@link receive}, and the
 * session's later requests carry what the server set (a new visitor cookie, an expired one
 * dropped), so that each variant sees the cookies a browser would send it. Without it, a visitor
 * who has just consented sends one of `visitorCookies` from the second request on.
 */
export class Visitors {
  #r;
  #visitorCookies;
  #feedback;
  #open;
  #last;

  /**
   * @param {{ seed: number, visitorCookies: readonly string[], feedback?: boolean }} options
   *   `visitorCookies`: signed visitor cookies (`name=value`) that a server of this run issued;
   *   without any, the cookie states that need one become `consent`
   */
  constructor({ seed, visitorCookies, feedback = false }) {
    this.#r = random(seed);
    this.#visitorCookies = visitorCookies;
    this.#feedback = feedback;
    this.#open = Array.from({ length: OPEN_SESSIONS }, () => newSession(this.#r, visitorCookies));
  }

  /** The next request. */
  next() {
    const r = this.#r;
    const i = Math.floor(r() * this.#open.length);
    if (this.#open[i].left <= 0) this.#open[i] = newSession(r, this.#visitorCookies);
    const session = this.#open[i];
    this.#last = session;
    const { agent } = session;
    const headers = {
      host: HOST,
      'user-agent': agent.ua,
      'x-forwarded-for': session.address,
      'x-forwarded-proto': 'https',
    };
    const requestPath = path(r);
    if (!agent.bot) {
      headers.accept = ACCEPT_HTML;
      headers['accept-language'] = LANGUAGES[agent.ua.length % LANGUAGES.length];
      headers['accept-encoding'] = 'gzip, deflate, br, zstd';
      Object.assign(headers, agent.hints);
      if (session.referrer !== undefined) headers.referer = session.referrer;
      if (session.cookies.length > 0) {
        headers.cookie = session.cookies.map(([name, value]) => `${name}=${value}`).join('; ');
      }
      if (session.gpc) headers['sec-gpc'] = '1';
      if (session.dnt) headers.dnt = '1';
      // From the second page on: a same-site Referer.
      session.referrer = `https://${HOST}${requestPath}`;
      if (!this.#feedback && session.state === 'consent' && this.#visitorCookies.length > 0) {
        session.state = 'visitor';
        session.cookies.push(cookiePairs(pick(r, this.#visitorCookies))[0]);
      }
    }
    session.left--;
    return { method: 'GET', path: requestPath, headers };
  }

  /**
   * The `Set-Cookie` lines of the response to the last request: the session keeps a cookie that is
   * set and forgets one that is expired (`Max-Age=0`), as a browser does.
   * @param {string | string[] | undefined} setCookie
   */
  receive(setCookie) {
    const session = this.#last;
    if (!session || setCookie === undefined || session.agent.bot) return;
    for (const line of [setCookie].flat()) {
      const pair = line.slice(0, line.indexOf(';') === -1 ? line.length : line.indexOf(';'));
      const [name, value] = cookiePairs(pair)[0];
      const kept = session.cookies.filter(([n]) => n !== name);
      if (!/;\s*max-age=0(;|$)/i.test(line)) kept.push([name, value]);
      session.cookies = kept;
    }
  }
}

/** {@link Visitors} as a generator, without feedback. */
export function* requestStream({ seed, visitorCookies }) {
  const visitors = new Visitors({ seed, visitorCookies });
  for (;;) yield visitors.next();
}

/** The first `count` requests of {@link requestStream}. */
export function makeRequests({ count, visitorCookies, seed = 6 }) {
  const visitors = new Visitors({ seed, visitorCookies });
  return Array.from({ length: count }, () => visitors.next());
}
