import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { CompiledPolicy } from '../policy/compile.js';
import type { CookieJar } from '../request/cookie-jar.js';
import type { Choice } from '../request/cookies.js';
import type { Decider, Decision } from '../request/decide.js';
import { hasDnt, hasGpc } from '../request/signals.js';

export interface RouterOptions {
  /** Where the privacy routes live. Default `/privacy`. */
  prefix?: string;
  /** `lastUpdate` of `/.well-known/gpc.json` (YYYY-MM-DD). Default: the day the router was made. */
  gpcLastUpdate?: string;
}

export interface RouterDeps {
  compiled: CompiledPolicy;
  decider: Decider;
  jar: CookieJar;
  appConsent: (req: Request) => boolean | undefined;
}

/** The JSON a page shows to say what is honoured (S5); carries no identifier. */
function statusBody(decision: Decision) {
  return {
    policy: decision.policy,
    analytics: decision.analytics,
    basis: decision.basis,
    gpc: decision.gpc,
    dnt: decision.dnt,
    choice: decision.choice ?? null,
    objection: decision.objection,
    categories: decision.categories,
  };
}

/**
 * A state-changing request from another site must not change a visitor's choice (login CSRF for
 * consent). Browsers send Sec-Fetch-Site; older ones send Origin on cross-site POSTs. A request
 * with neither (curl, a server) is not a browser acting for someone else, so it passes.
 */
function isCrossSite(req: Request): boolean {
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

/** A form post (or a browser asking for HTML) gets a redirect back; anything else gets JSON. */
function wantsRedirect(req: Request): boolean {
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
function backTo(req: Request): string {
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

export function createRouter(deps: RouterDeps, options: RouterOptions): RequestHandler {
  const prefix = (options.prefix ?? '/privacy').replace(/\/+$/, '');
  if (!prefix.startsWith('/')) throw new TypeError(`router prefix must start with "/": ${prefix}`);
  const lastUpdate = options.gpcLastUpdate ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(lastUpdate)) {
    throw new TypeError(`gpcLastUpdate must be a date as YYYY-MM-DD: ${lastUpdate}`);
  }
  const { compiled, decider, jar, appConsent } = deps;
  const gpcBody = JSON.stringify({ gpc: true, lastUpdate });

  const decideNow = (req: Request, choice: Choice | undefined): Decision =>
    decider.decide({
      gpc: hasGpc(req.headers['sec-gpc']),
      dnt: hasDnt(req.headers.dnt),
      choice,
      app: appConsent(req),
    });

  const choose = (req: Request, res: Response, choice: Choice) => {
    if (isCrossSite(req)) {
      res.status(403).json({ error: 'cross-site requests cannot change privacy choices' });
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    jar.setChoice(res, req.secure, choice);
    const state = jar.read(req);
    const decision = decideNow(req, choice);
    const visitorId = jar.apply(res, req.secure, state, decision);
    // This very request's record follows the new choice too.
    req.privacyLog?.revise(decision, visitorId);
    if (wantsRedirect(req)) res.redirect(303, backTo(req));
    else res.json({ ok: true, ...statusBody(decision) });
  };

  return function privacyRoutes(req: Request, res: Response, next: NextFunction) {
    const path = req.path;
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (path === '/.well-known/gpc.json') {
        if (!compiled.honourGpc) return next();
        res.type('application/json').send(gpcBody);
        return;
      }
      if (path === `${prefix}/status`) {
        const decision = req.privacyLog?.decision ?? decideNow(req, jar.read(req).choice);
        res.setHeader('Cache-Control', 'no-store');
        res.json(statusBody(decision));
        return;
      }
      return next();
    }
    if (req.method === 'POST') {
      if (path === `${prefix}/opt-out`) return choose(req, res, 'out');
      if (path === `${prefix}/opt-in`) return choose(req, res, 'in');
    }
    next();
  };
}
