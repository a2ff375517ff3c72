import type { Request } from 'express';

/**
 * A state-changing request from another site must not change a visitor's choice or data (login
 * CSRF for consent, or an erasure forced from a hostile page). Browsers send Sec-Fetch-Site; older
 * ones send Origin on cross-site POSTs. A request with neither (curl, a server) is not a browser
 * acting for someone else, so it passes.
 */
export function isCrossSite(req: Request): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') return site !== 'same-origin' && site !== 'none';
  const origin = req.headers.origin;
  if (typeof origin !== 'string') return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

/**
 * A read of personal data triggered by another site's script (a `fetch` or an `<img>`), as opposed
 * to the visitor following a link. The browser would not let that site read the answer, but the
 * answer has no business being produced for it either.
 */
export function isCrossSiteRead(req: Request): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site !== 'string' || site === 'same-origin' || site === 'none') return false;
  return req.headers['sec-fetch-mode'] !== 'navigate';
}

/** A form post (or a browser asking for HTML) gets a redirect back; anything else gets JSON. */
export function wantsRedirect(req: Request): boolean {
  const type = req.headers['content-type'] ?? '';
  if (
    type.startsWith('application/x-www-form-urlencoded') ||
    type.startsWith('multipart/form-data')
  ) {
    return true;
  }
  const accept = req.headers.accept ?? '';
  return accept.includes('text/html') && !accept.includes('application/json');
}

/** Characters that cannot be in a Host header that names only a host and a port. */
const NOT_A_HOST = /[/\\?#@\s]/;

/** The host (and port, when not the scheme's default) a Host header names, as URLs spell it. */
function hostOf(header: string | undefined, protocol: string): string | undefined {
  if (!header || NOT_A_HOST.test(header)) return undefined;
  try {
    return new URL(`${protocol}//${header}`).host;
  } catch {
    return undefined;
  }
}

/**
 * Back to the page the form was on, but only on this site: never an open redirect. The Referer is
 * parsed as a browser would (WHATWG URL: backslashes, tabs, dot segments and default ports are
 * resolved first), and only when it names this host is its path kept. Only the path and query are
 * returned, with any run of leading slashes made one: `//evil.example/x` would be read by a browser
 * as another host, `/evil.example/x` is a page of this site.
 */
export function backTo(req: Request): string {
  const referer = req.headers.referer;
  if (typeof referer !== 'string') return '/';
  let url: URL;
  try {
    url = new URL(referer);
  } catch {
    return '/';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return '/';
  if (url.host !== hostOf(req.headers.host, url.protocol)) return '/';
  // A parsed http(s) path always starts with '/' and holds no backslash; the replacement is what
  // keeps the result from ever being protocol-relative.
  return `${url.pathname.replace(/^[/\\]+/, '/')}${url.search}`;
}
