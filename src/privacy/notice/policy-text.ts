/**
 * A policy described in plain words: what each category records, on which legal basis, for how
 * long, and which cookies it sets. The notice and the record of processing both read it, so the
 * two can never describe the same policy differently. Every sentence follows from a setting; none
 * promises what the code does not do.
 */
import type { DefinedPolicy } from '../../policy/define.js';
import { parseDuration } from '../../policy/duration.js';
import type { LEGAL_BASES } from '../../policy/schema.js';
import type { Category } from '../../record.js';

/** The categories in the order the notice and the record present them. */
export const CATEGORY_ORDER: readonly Category[] = [
  'client',
  'essential',
  'nonessential',
  'optional',
  'security',
];

/** A category's name for a reader. */
export const CATEGORY_LABELS: Readonly<Record<Category, string>> = {
  client: 'Client information',
  essential: 'Essential technical information',
  nonessential: 'Nonessential technical information',
  optional: 'Optional information',
  security: 'Security records',
};

/** Each GDPR Art. 6(1) basis in words, with its point. */
export const BASIS_TEXT: Readonly<Record<(typeof LEGAL_BASES)[number], string>> = {
  consent: 'your consent (GDPR Art. 6(1)(a))',
  contract: 'a contract with you or steps you asked for before one (GDPR Art. 6(1)(b))',
  'legal-obligation': 'a legal obligation (GDPR Art. 6(1)(c))',
  'vital-interests': 'the vital interests of a person (GDPR Art. 6(1)(d))',
  'public-task': 'a task in the public interest (GDPR Art. 6(1)(e))',
  'legitimate-interests': 'our legitimate interests (GDPR Art. 6(1)(f))',
};

const UNITS = [
  ['year', 'years'],
  ['month', 'months'],
  ['week', 'weeks'],
  ['day', 'days'],
  ['hour', 'hours'],
  ['minute', 'minutes'],
  ['second', 'seconds'],
] as const;

const DURATION_PARTS =
  /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** An ISO 8601 duration in words (`P1Y2M` is "1 year and 2 months"), as the policy wrote it. */
export function durationText(duration: string): string {
  const match = DURATION_PARTS.exec(duration);
  if (!match || parseDuration(duration) === undefined) return duration;
  const parts: string[] = [];
  UNITS.forEach(([one, many], i) => {
    const value = match[i + 1];
    if (value === undefined || Number(value) === 0) return;
    const n = Number(value);
    parts.push(`${n} ${n === 1 ? one : many}`);
  });
  if (parts.length === 0) return 'no time at all';
  return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

/** How long a category is kept, in words; 'forever' is said plainly. */
export function retentionText(retention: string): string {
  return retention === 'forever' ? 'indefinitely: there is no time limit' : durationText(retention);
}

/** Words joined as a reader would: "a", "a and b", "a, b and c". */
export function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words[0] ?? '';
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

function prefixText(bits: number, total: number, groupBits: number, groups: number): string {
  return bits % groupBits === 0
    ? `the first ${bits / groupBits} of its ${groups} parts`
    : `the first ${bits} of its ${total} bits`;
}

/** What the client category records, one item per kind of data. */
export function clientItems(policy: DefinedPolicy): string[] {
  const client = policy.categories.client;
  if (!client) return [];
  const items: string[] = [];
  const { ip } = client;
  if (ip.mode === 'full')
    items.push('the Internet address (IP address) of the computer you use, in full');
  if (ip.mode === 'truncate') {
    items.push(
      `the Internet address of the computer you use, shortened to its network: an IPv4 address keeps ${prefixText(ip.ipv4Prefix, 32, 8, 4)}, an IPv6 address ${prefixText(ip.ipv6Prefix, 128, 16, 8)}`,
    );
  }
  if (ip.mode === 'hash') {
    items.push(
      `a pseudonym of your Internet address instead of the address (a keyed hash whose key is replaced every ${durationText(ip.keyRotation)} and then destroyed)`,
    );
  }
  const lookedUp =
    ip.mode === 'full' || client.enrichFromFullAddress ? 'your address' : 'the shortened address';
  const geo = {
    none: undefined,
    country: 'the country',
    region: 'the country, region and time zone',
    city: 'the country, region, city and time zone',
  }[client.geo];
  if (geo !== undefined) {
    items.push(`${geo} that ${lookedUp} belongs to (GeoIP; never a precise location)`);
  }
  if (client.domain) {
    items.push(
      `the Internet domain of your network (the registrable part of the name that ${lookedUp} resolves to)`,
    );
  }
  if (client.company) {
    items.push(
      `the registered company or organisation that owns the network ${lookedUp} belongs to, if there is one`,
    );
  }
  return items;
}

/** What the essential category records. */
export function essentialItems(policy: DefinedPolicy): string[] {
  const essential = policy.categories.essential;
  const allow = essential.query.allow;
  const items = [
    `the page or service you request: the method, the path and the section of the site it belongs to; ${
      allow.length === 0
        ? 'the query string (the part of the address after "?") is not kept'
        : `of the query string (the part after "?") only the parameters ${joinWords(allow.map((name) => `"${name}"`))} are kept`
    }`,
    'the date and time of access, the response status, how long the answer took and its size',
  ];
  if (essential.host) items.push('the name of this site as your browser asked for it');
  if (essential.userAgent !== 'none') {
    items.push(
      `the type of browser and operating system you use, with their versions, the kind of device (desktop, mobile, tablet…) and whether the request came from a known robot${
        essential.clientHints === 'platform-version'
          ? '; browsers that support it are asked for the exact version of the operating system'
          : ''
      }`,
    );
  }
  if (essential.userAgent === 'raw') {
    items.push('the full browser identification text (User-Agent) your browser sends');
  }
  return items;
}

/** What the nonessential category records. */
export function nonessentialItems(policy: DefinedPolicy): string[] {
  const nonessential = policy.categories.nonessential;
  if (!nonessential) return [];
  const items: string[] = [];
  if (nonessential.referrer === 'origin') {
    items.push(
      'the address of the web site from which you linked to this site, reduced to the site itself (for example https://news.example); nothing when you move within this site',
    );
  }
  if (nonessential.referrer === 'full') {
    items.push(
      'the address of the web page from which you linked to this site, without its query string; nothing when you move within this site',
    );
  }
  if (nonessential.visitor === 'cookie') {
    items.push(
      'a random visitor id kept in a cookie (see Cookies), which recognises your browser on later visits and says nothing else about you',
    );
  }
  if (nonessential.visitor === 'daily-hash') {
    items.push(
      'a visitor pseudonym computed from your address and browser with a secret key that is replaced and destroyed every day, so that visits on different days cannot be linked; no cookie is used',
    );
  }
  return items;
}

/** A name a reader understands for a field of optional data. */
export function optionalFieldText(field: string): string {
  const known: Record<string, string> = {
    name: 'your name',
    email: 'your e-mail address',
    message: 'the content of your message or e-mail',
    form: 'what you enter in forms, polls, questions or comment fields',
    phone: 'your phone number',
    company: 'your company',
    subject: 'the subject of your message',
    comment: 'your comment',
  };
  return known[field.toLowerCase()] ?? `the "${field}" field`;
}

/** What a security record keeps, in one sentence. */
export function securityText(policy: DefinedPolicy): string | undefined {
  const security = policy.categories.security;
  if (!security) return undefined;
  const address = {
    none: 'without your Internet address beyond what the client information keeps',
    'prefix-preserving':
      'with a pseudonym of your Internet address that keeps its network structure, so that an attack from one network can be traced',
    full: 'with your full Internet address',
    sealed:
      'with your full Internet address encrypted so that only the person appointed to investigate, who holds the key, can read it',
  }[security.ip];
  return `When an attempt to breach the security of this site is detected, the whole access record of the request is kept as a security record, ${address}.`;
}

/** A row of the cookie table. */
export interface CookieRow {
  names: string[];
  purpose: string;
  lifetime: string;
  firstParty: boolean;
}

/**
 * The cookies the logger sets for this policy: the analytics cookie when visitors are counted by
 * cookie, and the choice cookie when the privacy routes are in use (only they set it).
 */
export function cookieRows(policy: DefinedPolicy, withRoutes: boolean): CookieRow[] {
  const rows: CookieRow[] = [];
  const nonessential = policy.categories.nonessential;
  if (nonessential?.visitor === 'cookie') {
    const when =
      nonessential.basis === 'consent' ? 'Set only after you agree.' : 'Not set if you object.';
    rows.push({
      names: [policy.cookie.name, `__Host-${policy.cookie.name}`],
      purpose: `A random visitor id, signed so that it cannot be forged, to recognise your browser on later visits and analyse traffic patterns. The id says nothing about you by itself, but it links your visits together${policy.categories.optional ? ', and to what you send us with them (such as your name or e-mail address)' : ''}. ${when}`,
      lifetime: `${durationText(policy.cookie.maxAge)} from your first visit; later visits do not extend it`,
      firstParty: true,
    });
  }
  if (withRoutes) {
    const name = policy.choices.cookieName;
    rows.push({
      names: [name, `__Host-${name}`],
      purpose:
        'Remembers your opt-out or your consent. It holds the same value for everyone who makes the same choice, so it cannot identify you. Set only when you make a choice.',
      lifetime: durationText(policy.choices.maxAge),
      firstParty: true,
    });
  }
  return rows;
}

/** Technical and organisational measures the code applies for this policy (GDPR Art. 32). */
export function securityMeasures(policy: DefinedPolicy): string[] {
  const { client, essential, nonessential } = policy.categories;
  const measures = [
    'What may be recorded is decided from this policy and your choices before anything is stored.',
  ];
  const fullInSecurity = policy.categories.security?.ip === 'full';
  if (client?.ip.mode === 'truncate') {
    measures.push(
      fullInSecurity
        ? 'Internet addresses are shortened before storage, except in security records.'
        : 'Internet addresses are shortened before storage; the full address is never stored.',
    );
  }
  if (client?.ip.mode === 'hash') {
    measures.push(
      `Internet addresses are replaced by a keyed hash before storage${fullInSecurity ? ', except in security records' : ''}; the key is replaced regularly and destroyed.`,
    );
  }
  if (client === undefined || client.ip.mode === 'none') {
    const inSecurity = (policy.categories.security?.ip ?? 'none') !== 'none';
    measures.push(
      inSecurity
        ? 'Internet addresses are stored only in security records.'
        : 'Internet addresses are not stored.',
    );
  }
  measures.push(
    `Request bodies, passwords, authorisation headers and cookie values are never recorded${
      essential.query.allow.length === 0 ? ', and neither are query strings' : ''
    }.`,
    'Control characters in recorded text are written as visible escapes, so that a log entry cannot be split or forged.',
  );
  if (nonessential?.visitor === 'cookie') {
    measures.push(
      'The visitor id cookie is signed, so that a forged or altered one is replaced rather than trusted, and HttpOnly, so that scripts on the page cannot read it.',
    );
  }
  const limited = CATEGORY_ORDER.some((name) => {
    const retention = policy.categories[name]?.retention;
    return retention !== undefined && retention !== 'forever';
  });
  if (limited) {
    measures.push(
      'Each kind of information is deleted automatically when its retention time ends.',
    );
  }
  return measures;
}

/**
 * The sentence on logs that cannot erase single records, or undefined when there are none. The
 * library does not rotate such a log, so how long it keeps data is the operator's rotation.
 */
export function appendOnlyLogText(count: number): string | undefined {
  if (!(count > 0)) return undefined;
  const logs = count === 1 ? 'one append-only log' : `${count} append-only logs`;
  const it = count === 1 ? 'it keeps' : 'they keep';
  const there = count === 1 ? 'that log' : 'those logs';
  return `A copy of the access log is also written to ${logs}, which cannot delete single records: ${it} everything until the operator of this site rotates or deletes ${count === 1 ? 'it' : 'them'}; the access-log software does not do that itself. Records you ask us to erase stay in ${there} until then, but they are never shown or exported again.`;
}
