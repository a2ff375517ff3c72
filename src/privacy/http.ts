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

/** Back to the page the form was on, but only on this site: never an open redirect. */
export function backTo(req: Request): string {
  const referer = req.headers.referer;
  if (typeof referer === 'string') {
    try {
      const url = new URL(referer);
      if (url.host === req.headers.host) return url.pathname + url.search;
    } catch {
      // fall through to the home page
    }
  }
  return '/';
}
