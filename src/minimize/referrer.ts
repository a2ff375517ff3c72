import { redactUrlPath } from './path.js';
import { cleanText } from './text.js';

/** How much of a referrer is kept: `origin` is `https://host[:port]`, `full` adds the path. */
export type ReferrerDetail = 'origin' | 'full';

/**
 * The referrer as far as `detail` allows keeping it, or `undefined` when nothing may be kept.
 *
 * - Only `http:` and `https:` URLs; anything else (`javascript:`, `data:`, `android-app:`,
 *   unparseable text) gives `undefined`.
 * - User name and password are never kept; neither are the query and the fragment.
 * - Same-site navigation gives `undefined`: the referrer's host name equals the request's
 *   (`Host` header), ignoring case, port, a trailing dot and a leading `www.`. Other subdomains of
 *   the site (`blog.example.com` on `example.com`) count as other sites.
 * - `origin` keeps `scheme://host[:port]` (default ports omitted, IDN in punycode, as `URL.origin`
 *   gives it); `full` adds the path, redacted exactly as a request path that no route template
 *   matched (`redactUrlPath` with `ids`: e-mail addresses, ids, tokens, addresses and secret path
 *   parameters such as `;jsessionid=` replaced), keeping its percent-encoding.
 * - The result goes through {@link cleanText}: at most `maxLength` characters, ending in `…` when
 *   cut.
 *
 * Never throws.
 *
 * @param referer The `Referer` header.
 * @param requestHost The request's `Host` header (`example.com:8080`, `[::1]:3000`), if any.
 * @param maxLength Maximum length of the result in UTF-16 code units. Default: 1024.
 */
export function minimizeReferrer(
  referer: string | undefined,
  requestHost: string | undefined,
  detail: ReferrerDetail,
  maxLength = 1024,
): string | undefined {
  if (typeof referer !== 'string' || referer === '') return undefined;
  let url: URL;
  try {
    url = new URL(referer);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (requestHost !== undefined && siteName(url.hostname) === siteName(hostOf(requestHost))) {
    return undefined;
  }
  const kept =
    detail === 'full' ? url.origin + redactUrlPath(url.pathname, 'ids', maxLength) : url.origin;
  return cleanText(kept, maxLength);
}

/** The host name in a `Host` header value, without the port; IPv6 keeps its brackets. */
function hostOf(host: string): string {
  const text = host.trim();
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    return close === -1 ? text : text.slice(0, close + 1);
  }
  const colon = text.indexOf(':');
  return colon === -1 ? text : text.slice(0, colon);
}

/** The form in which two host names are compared: lower case, no trailing dot, no `www.`. */
function siteName(hostname: string): string {
  let name = hostname.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name.startsWith('www.')) name = name.slice(4);
  return name;
}
