/**
 * Store URLs as they may be shown. Error messages end up in terminals, CI logs and bug reports, so
 * the password in a URL's userinfo and the values of secret query parameters (`?password=`,
 * `sslpassword`, tokens) are masked, whatever characters they hold.
 */

const MASK = '***';

/**
 * Query keys whose value is a secret, matched on the decoded key in lower case without `-`, `_`
 * or spaces: `password`, `sslpassword`, `passwd`, `pwd`, `sslkey`, `token`, `auth_token`,
 * `client_secret`, `apikey`, `credentials`... Masking a harmless value costs nothing; showing a
 * secret cannot be undone.
 */
const SECRET_KEY = /pass|pwd|secret|token|auth|sslkey|apikey|credential/;

/** Schemes whose "URL" is a file path: nothing in it is a credential. */
const PATH_SCHEMES = new Set(['sqlite', 'file']);

interface Masked {
  readonly label: string;
  /** The masked texts, raw and percent-decoded, for scrubbing other messages. */
  readonly secrets: readonly string[];
}

/**
 * `url` with its password and secret query values replaced by `***`; anything else is left as it
 * was written. Where the URL is ambiguous (an `@` after what the WHATWG URL parser takes for the
 * host, or a URL it refuses, as with a raw `/`, `?` or `#` in the password), everything from the
 * first `:` after `//` to the last `@` is masked: too much rather than too little.
 */
export function redactUrl(url: string): string {
  return mask(url).label;
}

/**
 * `text` (a driver's error message, say) with every secret of `url` replaced by `***`: the URL
 * itself, and each password or secret query value in its raw and decoded forms.
 */
export function scrubSecrets(url: string, text: string): string {
  const { label, secrets } = mask(url);
  let out = url === '' ? text : text.replaceAll(url, label);
  const longestFirst = [...new Set(secrets)]
    .filter((s) => s !== '')
    .sort((a, b) => b.length - a.length);
  for (const secret of longestFirst) out = out.replaceAll(secret, MASK);
  return out;
}

function mask(url: string): Masked {
  const secrets: string[] = [];
  const separator = url.indexOf('://');
  const scheme = separator === -1 ? undefined : url.slice(0, separator).trim().toLowerCase();
  if (scheme === undefined || PATH_SCHEMES.has(scheme)) return { label: url, secrets };
  const afterUserinfo = maskUserinfo(url, separator + 3, secrets);
  return { label: maskQuery(afterUserinfo, secrets), secrets };
}

/** Mask the password between `//` (at `start`) and the `@` that ends the userinfo. */
function maskUserinfo(url: string, start: number, secrets: string[]): string {
  const lastAt = url.lastIndexOf('@');
  if (lastAt < start) return url;
  const parsed = parse(url);
  if (parsed !== undefined && !/@/.test(parsed.pathname + parsed.search + parsed.hash)) {
    // Unambiguous: every `@` is in the authority, so the last one ends the userinfo, and the
    // parser's first `:` in it starts the password.
    if (parsed.password === '') return url;
  }
  // Either way the password runs from the first `:` after `//` to the last `@`; when the parser
  // disagreed or refused, that span may hold more than the password, which is masked with it.
  const colon = url.indexOf(':', start);
  if (colon === -1 || colon > lastAt) return url;
  const secret = url.slice(colon + 1, lastAt);
  if (secret === '') return url;
  secrets.push(secret, decode(secret));
  return `${url.slice(0, colon + 1)}${MASK}${url.slice(lastAt)}`;
}

/** Mask the value of every secret query parameter, keeping the rest as written. */
function maskQuery(url: string, secrets: string[]): string {
  const question = url.indexOf('?');
  if (question === -1) return url;
  const hash = url.indexOf('#', question);
  const end = hash === -1 ? url.length : hash;
  const parts = url.slice(question + 1, end).split('&');
  const masked = parts.map((part) => {
    const equals = part.indexOf('=');
    if (equals === -1) return part;
    const key = decode(part.slice(0, equals).replaceAll('+', ' '))
      .toLowerCase()
      .replace(/[-_\s]/g, '');
    const value = part.slice(equals + 1);
    if (!SECRET_KEY.test(key) || value === '') return part;
    secrets.push(value, decode(value.replaceAll('+', ' ')));
    return `${part.slice(0, equals + 1)}${MASK}`;
  });
  return `${url.slice(0, question + 1)}${masked.join('&')}${url.slice(end)}`;
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** Percent-decoding that never throws: a malformed escape is left as written. */
function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
