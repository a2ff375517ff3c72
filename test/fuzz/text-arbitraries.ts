import fc from 'fast-check';

// Building blocks of hostile requests: text in the encodings a request carries it in, tokens that
// identify someone, and addresses in the forms proxies write them.

/** How a UTF-8 header value reaches Node: one Latin-1 character per byte. */
export const asLatin1 = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

/** Percent-encodes each UTF-8 byte that is not printable ASCII (a lone surrogate as U+FFFD). */
export function asTarget(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out +=
      byte > 0x20 && byte < 0x7f
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The authority of an absolute-form target as Node's parser takes it: everything else encoded. */
export function asAuthority(text: string): string {
  return asTarget(text).replace(
    /[^A-Za-z0-9\-._~!$&'()*+,;=:[\]%]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export const char = (from: number, to: number) =>
  fc.integer({ min: from, max: to }).map((c) => String.fromCharCode(c));

/** Characters that make trouble in logs and viewers: C1, line separators, bidi overrides. */
const nasty = fc.oneof(
  fc.constantFrom(...'\u0085\u009b\u0080\u2028\u2029\u202e\u200f\u2066\ufeff😀é"\\'),
  fc.constant('\\u000a'),
);

/** The words of `list`: a compact way to write many short constants. */
export const words = (list: string): string[] => list.split(' ');

/** Any text, weighted towards the characters that break logs. */
export const unicodeText = (maxLength = 40) =>
  fc.string({ unit: fc.oneof(fc.constantFrom(...'ab/.@-_ '), nasty, char(0x20, 0x7e)), maxLength });

/** Header-value text Node accepts: tab, printable ASCII, Latin-1 upper half (C1 included). */
export const latin1Text = (maxLength = 60) =>
  fc.string({
    unit: fc.oneof({ weight: 3, arbitrary: char(0x20, 0x7e) }, char(0x80, 0xff), fc.constant('\t')),
    maxLength,
  });

export const hexChars = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: min, maxLength: max });
export const b64url = (min: number, max: number) =>
  fc.string({
    unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
    minLength: min,
    maxLength: max,
  });
export const word = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_.~'),
  minLength: 1,
  maxLength: 12,
});

export const jwt = fc
  .tuple(b64url(4, 40), b64url(4, 60), b64url(0, 43))
  .map(([h, p, s]) => `eyJ${h}.${p}.${s}`);

const octet = fc.nat(255);
/** Public-looking IPv4: never an address that is its own /24 network (nothing to hide there). */
export const ipv4 = fc
  .tuple(fc.integer({ min: 1, max: 223 }), octet, octet, fc.integer({ min: 1, max: 254 }))
  .filter(([a]) => a !== 127 && a !== 10)
  .map((o) => o.join('.'));
/**
 * IPv6 with bits beyond /48 set, outside the ranges that embed an IPv4 address in the first 48
 * bits (6to4, `2002::/16`: a known gap, tested on its own).
 */
export const ipv6 = fc
  .tuple(fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }), fc.boolean())
  .filter(
    ([g]) => g[0]! > 0 && g[0] !== 0x2002 && g[0] !== 0xfe80 && g.slice(3).some((x) => x !== 0),
  )
  .map(([g, expanded]) =>
    expanded ? g.map((x) => x.toString(16).padStart(4, '0')).join(':') : compress(g),
  );

/** RFC 5952-ish compression of the longest zero run (what proxies usually write). */
function compress(groups: number[]): string {
  const text = groups.map((x) => x.toString(16));
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
  }
  if (best === -1) return text.join(':');
  return `${text.slice(0, best).join(':')}::${text.slice(best + bestLength).join(':')}`;
}

/** An IPv4 address as a dual-stack proxy may write it. */
const mapped = ipv4.chain((v4) => {
  const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
  const hex = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  return fc.constantFrom(`::ffff:${v4}`, `::FFFF:${v4}`, `::ffff:${hex}`);
});

export const ipLiteral = fc.oneof(
  ipv4,
  ipv6,
  ipv6.map((a) => `[${a}]`),
);

export const port = fc.integer({ min: 1, max: 65535 });
/** One hop of an X-Forwarded-For list, in the forms proxies and attackers write. */
export const forwardedHop = fc.oneof(
  { weight: 3, arbitrary: ipv4 },
  { weight: 2, arbitrary: ipv6 },
  mapped,
  fc.tuple(ipv4, port).map(([a, p]) => `${a}:${p}`),
  fc.tuple(ipv6, port).map(([a, p]) => `[${a}]:${p}`),
  ipv6.map((a) => `[${a}]`),
  fc.constantFrom('', ' ', ...words('unknown _hidden 127.0.0.1 ::1 1.2.3 999.1.1.1 fe80::1%eth0')),
  latin1Text(20),
);
