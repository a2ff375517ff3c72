import { METHODS } from 'node:http';
import { sign } from 'cookie-signature';
import fc from 'fast-check';
import { SECRET } from '../helpers/app.js';
import {
  asAuthority,
  asLatin1,
  asTarget,
  b64url,
  char,
  forwardedHop,
  hexChars,
  ipLiteral,
  ipv4,
  ipv6,
  jwt,
  latin1Text,
  port,
  unicodeText,
  word,
  words,
} from './text-arbitraries.js';

/**
 * A request as a hostile client writes it: the request line and header lines, byte for byte.
 * Everything here is what Node's parser lets through to the app: the target is printable ASCII,
 * header values are Latin-1 (tab, 0x20–0x7E, 0x80–0xFF: a UTF-8 byte sequence arrives as that
 * many Latin-1 characters, so C1 controls do reach the app). Raw CR, LF, NUL and other C0 controls
 * are refused by Node before any middleware runs and are not generated.
 */
export interface HostileRequest {
  method: string;
  target: string;
  headers: [name: string, value: string][];
}

/** The bytes of a request, as sent on the socket. */
export function requestBytes(r: HostileRequest): Buffer {
  const lines = [`${r.method} ${r.target} HTTP/1.1`];
  for (const [name, value] of r.headers) lines.push(`${name}: ${value}`);
  lines.push('Connection: close', '', '');
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/** One path segment: plain, encoded, traversal, identifying, or long. */
const segment = fc.oneof(
  { weight: 4, arbitrary: word },
  unicodeText(20).map((t) => encodeURIComponent(t)),
  fc.constantFrom(
    '',
    ...words('.. . %2e%2e %2F %ZZ % %E0%A4%A %ED%A0%80 %C0%AF %00 %0A%0D %1B %C2%85 %E2%80%A8'),
    ...words('%E2%80%AE ~user logo@2x.png *'),
  ),
  fc.emailAddress().map(asTarget),
  fc.emailAddress().map((e) => encodeURIComponent(e)),
  fc.uuid(),
  jwt,
  ipLiteral,
  fc.string({ unit: char(0x30, 0x39), minLength: 6, maxLength: 20 }),
  hexChars(16, 64),
  hexChars(8, 8).map((h) => `${h};jsessionid=${h}${h}`),
  word.map((w) => w.repeat(Math.ceil(300 / w.length)).slice(0, 300 + w.length * 20)),
);

export const path = fc.array(segment, { maxLength: 8 }).map((s) => `/${s.join('/')}`);

const queryPart = fc.oneof(
  word,
  fc.emailAddress().map(asTarget),
  jwt,
  fc.uuid(),
  hexChars(32, 40),
  ipv4,
  unicodeText(10).map(asTarget),
);
const queryKey = fc.oneof(
  fc.constantFrom(
    '',
    ...words('q utm_source page token email access_token sid session __proto__ x[y]'),
  ),
  word,
);
export const query = fc
  .array(fc.tuple(queryKey, queryPart), { minLength: 1, maxLength: 5 })
  .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`);

const host = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      ...words('example.com www.example.com EXAMPLE.COM:8080 shop.example.co.uk localhost:3000'),
    ),
  },
  fc.domain(),
  ipv4,
  fc.tuple(ipv4, port).map(([a, p]) => `${a}:${p}`),
  ipv6.map((a) => `[${a}]:443`),
  fc.constantFrom(
    'evil.example@attacker.example',
    'ex ample.com',
    '',
    ':',
    '[::1',
    'a'.repeat(300),
  ),
  latin1Text(30),
  unicodeText(20).map(asLatin1),
);

const absolute = fc
  .tuple(
    fc.constantFrom('http', 'https', 'HTTP', 'ftp', 'javascript'),
    fc.option(fc.constantFrom('user:pw@', 'jane.doe%40example.com:secret@', '@')),
    host.map(asAuthority),
    path,
    fc.option(query),
  )
  .map(([scheme, user, h, p, q]) => `${scheme}://${user ?? ''}${h}${p}${q ?? ''}`);

/** A request target: origin form mostly, absolute form, and odd forms Node still accepts. */
export const target = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(path, fc.option(query), fc.option(word.map((w) => `#${w}`)))
      .map(([p, q, f]) => p + (q ?? '') + (f ?? '')),
  },
  { weight: 2, arbitrary: absolute },
  fc.constantFrom(
    ...words('* ** //double//slash /? /# /.. /%2e%2e/etc/passwd /products/%ZZ /products/42'),
  ),
  fc
    .tuple(fc.constantFrom('/products/', '/files/'), segment, fc.option(query))
    .map(([p, s, q]) => p + s + (q ?? '')),
);

/** The routes of the privacy router (never erase: it would take earlier records with it). */
export const privacyTarget = fc.constantFrom(
  '/.well-known/gpc.json',
  ...words('status notice opt-out opt-in my-data nope').map((route) => `/privacy/${route}`),
);

const realAgents = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'curl/8.5.0',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) OculusBrowser/31.0 Chrome/120.0 VR Safari/537.36',
  'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0 TV Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/109.0.0.0',
];
const userAgent = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...realAgents) },
  latin1Text(80),
  unicodeText(40).map(asLatin1),
  fc
    .tuple(fc.constantFrom(...realAgents), fc.nat(1200))
    .map(([ua, n]) => `${ua} ${'x'.repeat(n)} Googlebot/2.1`),
  fc.constant(''),
);

const brand = fc.oneof(
  fc.constantFrom(
    '"Chromium";v="124"',
    '"Google Chrome";v="124"',
    '"Opera";v="109"',
    '"Microsoft Edge";v="124"',
  ),
  fc.constantFrom(
    '"Not A(Brand";v="99"',
    '";Not A Brand";v="99"',
    '"\\\\Not\\"A;Brand";v="8"',
    '"(Not(A:Brand";v="24"',
    '"Not/A)Brand";v="8"',
  ),
  latin1Text(20).map((t) => `"${t}";v="1"`),
  latin1Text(20),
);
const signal = fc.oneof(
  fc.constantFrom('1, 0', '0, 1', ' 1 ', '', asLatin1('１'), ...words('1 0 true yes 11 1;q=1 ?1')),
  fc.nat(3000).map((n) => `${'0,'.repeat(n)}1`),
  latin1Text(10),
);

/** Cookie pairs: signed, tampered, `j:` JSON, prototype keys, both schemes, garbage and bulk. */
const cookiePair = fc.oneof(
  b64url(22, 22).map((id) => `pl_vid=${encodeURIComponent(`s:${sign(id, SECRET)}`)}`),
  b64url(22, 22).map(
    (id) => `pl_vid=${encodeURIComponent(`s:${sign(id, SECRET)}`).replace(/.$/, 'A')}`,
  ),
  b64url(22, 22).map((id) => `__Host-pl_vid=s%3A${sign(id, 'another-secret-0123456789abcdef')}`),
  fc.constantFrom(
    ...words(
      'pl_vid=j%3A%7B%22a%22%3A1%7D pl_vid=s%3Aj%3A%7B%7D.x __proto__=%7B%22polluted%22%3Atrue%7D',
    ),
    ...words('constructor=x prototype=y pl_choice=in pl_choice=out __Host-pl_choice=in'),
    ...words('pl_choice=__proto__ pl_choice=%ZZ pl_vid= = ; pl_vid pl_vid="unterminated'),
  ),
  fc
    .tuple(
      word,
      latin1Text(30).map((t) => t.replace(/;/g, '')),
    )
    .map(([k, v]) => `${k}=${v}`),
  fc.nat(2500).map((n) => `bulk=${'b'.repeat(n)}`),
);
const cookie = fc
  .array(cookiePair, { minLength: 1, maxLength: 8 })
  .chain((pairs) => fc.constantFrom(pairs.join('; '), pairs.join(';')));

const optionalHeaders = fc.record(
  {
    'User-Agent': userAgent,
    Referer: fc.oneof(
      absolute,
      host.map((h) => `http://${h}/same-site`),
      latin1Text(40),
      fc.constantFrom('android-app://com.x/', 'data:,x', 'about:blank', ''),
    ),
    'Sec-CH-UA': fc.array(brand, { maxLength: 4 }).map((b) => b.join(', ')),
    'Sec-CH-UA-Mobile': fc.oneof(fc.constantFrom('?0', '?1', '?2', '1', ''), latin1Text(6)),
    'Sec-CH-UA-Platform': fc.oneof(
      fc.constantFrom('"Windows"', '"Linux"', '"Android"', '"macOS"', '""', 'Linux'),
      latin1Text(12),
    ),
    'Sec-CH-UA-Platform-Version': fc.constantFrom('"15.0.0"', '"14.4.1"', '"x"', '?1'),
    'Sec-CH-UA-Full-Version-List': fc.array(brand, { maxLength: 3 }).map((b) => b.join(', ')),
    'Sec-GPC': signal,
    DNT: signal,
    'X-Forwarded-For': fc
      .array(forwardedHop, { minLength: 1, maxLength: 5 })
      .chain((hops) => fc.constantFrom(hops.join(', '), hops.join(','))),
    Cookie: cookie,
  },
  { requiredKeys: [] },
);

/** A hostile request with its header lines; `fuzz` headers tell the test app what to answer. */
export const hostileRequest = fc
  .record({
    method: fc.constantFrom(...METHODS.filter((m) => m !== 'CONNECT')),
    target: fc.oneof({ weight: 9, arbitrary: target }, privacyTarget),
    host,
    extra: optionalHeaders,
    // Some headers twice: Node joins most, keeps the first Host and User-Agent.
    twice: fc.subarray(['Sec-GPC', 'DNT', 'X-Forwarded-For', 'Cookie', 'Host', 'User-Agent']),
    status: fc.constantFrom(200, 201, 204, 301, 304, 400, 403, 404, 418, 429, 500, 503),
    optional: fc.option(unicodeText(60)),
    incident: fc.option(unicodeText(30)),
  })
  .map(({ method, target, host, extra, twice, status, optional, incident }): HostileRequest => {
    const headers: [string, string][] = [['Host', host]];
    for (const [name, value] of Object.entries(extra)) headers.push([name, value]);
    for (const name of twice) {
      const line = headers.find(([n]) => n === name);
      if (line) headers.push([name, line[1]]);
    }
    headers.push(['X-Fuzz-Status', String(status)]);
    if (optional !== null) headers.push(['X-Fuzz-Optional', encodeURIComponent(optional)]);
    if (incident !== null) headers.push(['X-Fuzz-Incident', asLatin1(incident)]);
    return { method, target, headers };
  })
  // Node answers 431 itself past 16 KB of head; stay well inside.
  .filter((r) => requestBytes(r).length < 14_000);
