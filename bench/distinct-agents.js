// Traffic with many distinct User-Agents and client addresses: the case where the User-Agent and
// GeoIP caches stop helping. Real-looking strings (full Chrome and Edge versions as older and
// unreduced clients send them, Android phones of many models, iOS Safari and in-app browsers,
// Samsung Internet, Firefox, bots), all distinct, and as many distinct public addresses.
// Deterministic: the same seed gives the same lists.
import { clientAddress, random } from './traffic.js';

const pick = (r, list) => list[Math.floor(r() * list.length)];
const int = (r, min, max) => min + Math.floor(r() * (max - min + 1));

const ANDROID_MODELS = [
  ...Array.from({ length: 60 }, (_, i) => `SM-A${105 + i * 10}${i % 2 ? 'F' : 'B'}`),
  ...Array.from({ length: 30 }, (_, i) => `SM-S${901 + (i % 30)}${['B', 'U', 'E'][i % 3]}`),
  ...Array.from({ length: 9 }, (_, i) => `Pixel ${i + 3}${i % 2 ? ' Pro' : ''}`),
  ...Array.from({ length: 14 }, (_, i) => `Redmi Note ${i + 7}`),
  ...Array.from({ length: 12 }, (_, i) => `moto g(${i + 20})`),
  ...Array.from({ length: 10 }, (_, i) => `CPH${2200 + i * 13}`),
  ...Array.from({ length: 8 }, (_, i) => `M${2100 + i * 3}J${i}SG`),
];
const IOS = [
  '15_8_3',
  '16_6_1',
  '16_7_10',
  '17_1_2',
  '17_4_1',
  '17_5_1',
  '17_6_1',
  '18_0_1',
  '18_1_1',
];
const WINDOWS = [
  'Windows NT 10.0; Win64; x64',
  'Windows NT 10.0; WOW64',
  'Windows NT 6.1; Win64; x64',
];
const MAC = ['Macintosh; Intel Mac OS X 10_15_7', 'Macintosh; Intel Mac OS X 10_14_6'];
const LINUX = ['X11; Linux x86_64', 'X11; CrOS x86_64 15633.69.0'];

/** Full Chromium versions, as clients that do not reduce their string send them. */
const chromeVersion = (r) => `${int(r, 100, 133)}.0.${int(r, 4800, 6950)}.${int(r, 30, 240)}`;

const FAMILIES = [
  [
    30,
    (r) => {
      const os = pick(r, [...WINDOWS, ...WINDOWS, ...MAC, ...LINUX]);
      return `Mozilla/5.0 (${os}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${chromeVersion(r)} Safari/537.36`;
    },
  ],
  [
    22,
    (r) =>
      `Mozilla/5.0 (Linux; Android ${int(r, 9, 15)}; ${pick(r, ANDROID_MODELS)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${chromeVersion(r)} Mobile Safari/537.36`,
  ],
  [
    8,
    (r) => {
      const ios = pick(r, IOS);
      return `Mozilla/5.0 (iPhone; CPU iPhone OS ${ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${ios.split('_').slice(0, 2).join('.')} Mobile/15E148 Safari/604.1`;
    },
  ],
  [
    8,
    (r) => {
      const ios = pick(r, IOS);
      return `Mozilla/5.0 (iPhone; CPU iPhone OS ${ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram ${int(r, 300, 360)}.0.0.${int(r, 10, 40)}.${int(r, 100, 130)} (iPhone${int(r, 12, 17)},${int(r, 1, 5)}; iOS ${ios}; en_US; en; scale=3.00; 1170x2532; ${int(r, 500000000, 599999999)})`;
    },
  ],
  [
    6,
    (r) =>
      `Mozilla/5.0 (Linux; Android ${int(r, 11, 14)}; ${pick(r, ANDROID_MODELS)}) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/${int(r, 20, 27)}.${int(r, 0, 2)} Chrome/${chromeVersion(r)} Mobile Safari/537.36`,
  ],
  [
    8,
    (r) => {
      const v = int(r, 100, 135);
      const os = pick(r, [
        'Windows NT 10.0; Win64; x64; rv:',
        'X11; Linux x86_64; rv:',
        'X11; Ubuntu; Linux x86_64; rv:',
        'Macintosh; Intel Mac OS X 10.15; rv:',
        `Android ${int(r, 10, 14)}; Mobile; rv:`,
      ]);
      return `Mozilla/5.0 (${os}${v}.0) Gecko/20100101 Firefox/${v}.${int(r, 0, 3)}`;
    },
  ],
  [
    6,
    (r) => {
      const v = chromeVersion(r);
      return `Mozilla/5.0 (${pick(r, WINDOWS)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v} Safari/537.36 Edg/${v.split('.')[0]}.0.${int(r, 1000, 3000)}.${int(r, 10, 99)}`;
    },
  ],
  [
    3,
    (r) =>
      `Mozilla/5.0 (Linux; Android ${int(r, 10, 14)}; ${pick(r, ANDROID_MODELS)} Build/${pick(r, ['TP1A', 'UP1A', 'AP2A', 'SKQ1'])}.${int(r, 220000, 240999)}.${int(r, 1, 99).toString().padStart(3, '0')}; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/${chromeVersion(r)} Mobile Safari/537.36`,
  ],
  [
    2,
    (r) =>
      pick(r, [
        `Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html) v${int(r, 1, 9999)}`,
        `Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/) ${int(r, 1, 9999)}`,
        `python-requests/2.${int(r, 0, 32)}.${int(r, 0, 9)}`,
        `curl/${int(r, 7, 8)}.${int(r, 0, 88)}.${int(r, 0, 9)}`,
        `Go-http-client/${int(r, 1, 2)}.${int(r, 0, 9)} (${int(r, 1, 9999)})`,
      ]),
  ],
];

function family(r) {
  let total = 0;
  for (const [w] of FAMILIES) total += w;
  let x = r() * total;
  for (const [w, make] of FAMILIES) {
    x -= w;
    if (x < 0) return make;
  }
  return FAMILIES[FAMILIES.length - 1][1];
}

/** `count` distinct User-Agent strings. */
export function distinctAgents(count, seed = 10_000) {
  const r = random(seed);
  const seen = new Set();
  while (seen.size < count) seen.add(family(r)(r));
  return [...seen];
}

/** `count` distinct public client addresses. */
export function distinctAddresses(count, seed = 20_000) {
  const r = random(seed);
  const seen = new Set();
  while (seen.size < count) seen.add(clientAddress(r));
  return [...seen];
}

/**
 * The same requests, each with a User-Agent and an address from `agents` and `addresses`, every
 * one of them used before any is used again, in a random order each round (no client hints: the
 * strings are not those of the hints' browsers). No session keeps its agent: each request is as
 * likely as any other to bring a string the cache lacks.
 */
export function withDistinctClients(requests, { agents, addresses, seed = 30_000 }) {
  const r = random(seed);
  const draw = (list) => {
    let order = [];
    return () => {
      if (order.length === 0) {
        order = list.map((_, i) => i);
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(r() * (i + 1));
          [order[i], order[j]] = [order[j], order[i]];
        }
      }
      return list[order.pop()];
    };
  };
  const nextAgent = draw(agents);
  const nextAddress = draw(addresses);
  return requests.map((request) => {
    const headers = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (!name.startsWith('sec-ch-ua')) headers[name] = value;
    }
    headers['user-agent'] = nextAgent();
    headers['x-forwarded-for'] = nextAddress();
    return { ...request, headers };
  });
}
