import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { DiagnosticLogger } from '../../logger.js';
import type { CompiledPolicy } from '../../policy/compile.js';
import type { CookieJar } from '../../request/cookie-jar.js';
import type { Choice } from '../../request/cookies.js';
import type { Decider, Decision } from '../../request/decide.js';
import { hasDnt, hasGpc } from '../../request/signals.js';
import type { NoticeInForce } from '../consent-ledger.js';
import { renderNotice } from '../notice/notice.js';
import type { SubjectsApi } from '../subjects.js';
import { gpcResourceBody } from './gpc-resource.js';
import { backTo, isCrossSite, wantsRedirect } from './request-origin.js';
import { eraseMyData, myData, type SubjectRouteDeps } from './subject-routes.js';
import { withdraw } from './withdrawal.js';

/** The GPC support resource, served whatever the prefix. */
const GPC_PATH = '/.well-known/gpc.json';
const SLASH = 0x2f;

/** What `GET {prefix}/notice` says about the site; see `renderNotice`. */
export interface RouterNoticeOptions {
  /** The site as visitors know it. Default `'this site'`. */
  site?: string;
  /**
   * The controller, by name (a company or a person). Default: the policy's `notice.controller`;
   * a notice served without one (or without a contact) warns once, `WRN_NOTICE_WITHOUT_CONTROLLER`.
   */
  controller?: string;
  /** Where to write about privacy: an e-mail or web address. Default: the policy's `notice.contact`. */
  contact?: string;
  /** The data protection officer and how to reach them. Default: the policy's `notice.dpo`. */
  dpo?: string;
  /** Who else receives access-log data. Default: nobody. */
  recipients?: readonly string[];
  /** A "last updated" date. */
  updated?: string;
}

/** Options of `logger.router()`. */
export interface RouterOptions {
  /** Where the privacy routes live. Default `/privacy`. */
  prefix?: string;
  /**
   * `lastUpdate` of `/.well-known/gpc.json`: the date the site made its statement of support, as
   * the GPC specification allows it, an RFC 3339 date (`YYYY-MM-DD`) or date-time
   * (`YYYY-MM-DDTHH:mm:ssZ`, or with an offset), served as given; one that does not exist throws
   * `PolicyError`. Default: the date this library last changed how it honours GPC, the same
   * on every start.
   */
  gpcLastUpdate?: string;
  /** The notice served at `GET {prefix}/notice`. */
  notice?: RouterNoticeOptions;
  /**
   * Longest time in ms that `my-data` and `erase` wait for the stores (flush, read, erase). A store
   * not done by then is named in the answer as unavailable, and an erasure keeps the cookie so that
   * the visitor can ask again. Default 3000.
   */
  dataTimeoutMs?: number;
}

/** What the privacy routes need from the logger, per policy. */
export interface RouterDeps {
  compiled: CompiledPolicy;
  decider: Decider;
  jar: CookieJar;
  appConsent: (req: Request) => boolean | undefined;
  /** Subject rights (`my-data`, `erase`); without it those routes are not served. */
  subjects?: SubjectsApi;
  /**
   * Whether every policy the site applies honours GPC. `/.well-known/gpc.json` is a statement for
   * the whole site, never for one visitor's region, so it is served only then. Default: this
   * policy's own setting.
   */
  siteHonoursGpc?: boolean;
  /** Where route failures are reported. */
  logger?: DiagnosticLogger;
  /** Called when a notice is served without a controller or a contact (it warns once). */
  onNoticeWithoutController?: () => void;
  /**
   * Called when a privacy route serves a request the middleware never saw (the router mounted
   * without it, or ahead of it): choices then apply to later requests only, and this one is not
   * logged. It warns once.
   */
  onRequestNotLogged?: (path: string) => void;
  clock?: () => Date;
  /** How many of the logger's stores cannot erase single records; the notice says so. */
  appendOnlyLogs?: number;
  /** Whether a store of the logger has a disk spill; the notice says so. */
  diskSpill?: boolean;
  /**
   * Whether a store of the logger keeps the consent ledger, asked when the notice is first
   * rendered (a store loaded from a module shows its methods once loaded). Default: yes.
   */
  consentLedger?: () => boolean;
  /** The policy's notice in force: this router's notice becomes it, and consent events carry its hash. */
  notice?: NoticeInForce;
}

/**
 * The JSON a page shows to say what is honoured; carries no identifier. `consentOutdated`: the
 * browser holds a consent given under a policy version that asked for less; ask again.
 */
function statusBody(decision: Decision, consentOutdated = false) {
  return {
    consentOutdated,
    policy: decision.policy,
    analytics: decision.analytics,
    basis: decision.basis,
    gpc: decision.gpc,
    dnt: decision.dnt,
    choice: decision.choice ?? null,
    objection: decision.objection,
    consent: decision.consent,
    categories: decision.categories,
    bases: decision.bases,
  };
}

/**
 * The privacy routes of one policy: choices (opt-out, opt-in), status, `/.well-known/gpc.json`,
 * the notice, and, with `deps.subjects`, the visitor's own data (my-data, erase).
 */
export function createRouter(deps: RouterDeps, options: RouterOptions): RequestHandler {
  const prefix = (options.prefix ?? '/privacy').replace(/\/+$/, '');
  if (!prefix.startsWith('/')) throw new TypeError(`router prefix must start with "/": ${prefix}`);
  const dataTimeoutMs = options.dataTimeoutMs ?? 3000;
  if (!Number.isFinite(dataTimeoutMs) || dataTimeoutMs < 0) {
    throw new TypeError(`dataTimeoutMs must be a number of ms >= 0: ${dataTimeoutMs}`);
  }
  const { compiled, decider, jar, appConsent } = deps;
  const gpcBody = gpcResourceBody(deps.siteHonoursGpc ?? compiled.honourGpc, options.gpcLastUpdate);
  const subjectDeps: SubjectRouteDeps | undefined =
    deps.subjects && deps.logger
      ? {
          compiled,
          jar,
          subjects: deps.subjects,
          logger: deps.logger,
          clock: deps.clock ?? (() => new Date()),
          timeoutMs: dataTimeoutMs,
        }
      : undefined;
  const controller = options.notice?.controller ?? compiled.policy.notice.controller;
  const contact = options.notice?.contact ?? compiled.policy.notice.contact;
  const anonymous = controller === undefined || contact === undefined;
  const noticeOptions = {
    site: options.notice?.site ?? 'this site',
    contact: contact ?? 'the operator of this site',
    ...(controller === undefined ? {} : { controller }),
    ...(options.notice?.dpo ? { dpo: options.notice.dpo } : {}),
    routes: prefix,
    appendOnlyLogs: deps.appendOnlyLogs ?? 0,
    diskSpill: deps.diskSpill === true,
    ...(options.notice?.recipients ? { recipients: options.notice.recipients } : {}),
    ...(options.notice?.updated ? { updated: options.notice.updated } : {}),
  };
  // Rendered on first request and kept: the policy and the options do not change.
  const notices: { html?: string; markdown?: string } = {};
  const notice = (format: 'html' | 'markdown'): string =>
    (notices[format] ??= renderNotice(compiled.policy, {
      ...noticeOptions,
      consentLedger: deps.consentLedger?.() !== false,
      format,
    }));
  deps.notice?.serve(() => notice('markdown'));

  const decideNow = (req: Request, choice: Choice | undefined): Decision =>
    decider.decide({
      gpc: hasGpc(req.headers['sec-gpc']),
      dnt: hasDnt(req.headers.dnt),
      choice,
      app: appConsent(req),
    });

  const choose = async (req: Request, res: Response, choice: Choice) => {
    if (isCrossSite(req)) {
      res.status(403).json({ error: 'cross-site requests cannot change privacy choices' });
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    const state = jar.read(req);
    // The visitor id is the only key to the records of this browser: use it before it expires.
    const withdrawal =
      choice === 'out'
        ? await withdraw(
            subjectDeps,
            compiled.visitor === 'cookie' ? state.visitorId : undefined,
            compiled.policy.choices.onWithdraw === 'erase' || req.query?.erase === '1',
          )
        : undefined;
    jar.setChoice(res, req.secure, choice);
    const decision = decideNow(req, choice);
    const visitorId = jar.apply(res, req.secure, state, decision);
    // This very request's record follows the new choice too.
    req.privacyLog?.revise(decision, visitorId);
    if (choice !== state.choice && deps.notice) {
      // For the consent ledger, written with this request's record.
      req.privacyLog?.noteConsent({
        choice,
        previous: state.choice,
        source: 'button',
        visitorId: choice === 'in' ? visitorId : state.visitorId,
        notice: deps.notice.hash,
      });
    }
    if (wantsRedirect(req)) res.redirect(303, backTo(req));
    else res.json({ ok: true, ...statusBody(decision), ...(withdrawal ? { withdrawal } : {}) });
  };

  const routePrefix = `${prefix}/`;
  // A target that starts with "/" and holds no backslash has as its path the part before the
  // query, at most percent-escaped (which makes no "/" and, with no "%" in the prefix, no
  // match): when the target starts with neither route, neither does the path, and the request
  // leaves without Express's req.path getter. Anything else is decided on req.path.
  const quickExit = !prefix.includes('%');
  return function privacyRoutes(req: Request, res: Response, next: NextFunction) {
    const url = req.url;
    if (
      quickExit &&
      url.charCodeAt(0) === SLASH &&
      !url.startsWith(routePrefix) &&
      !url.startsWith(GPC_PATH) &&
      !url.includes('\\')
    ) {
      return next();
    }
    const path = req.path;
    // Most requests are for the site itself: leave at once, before building any route string.
    if (!path.startsWith(routePrefix) && path !== GPC_PATH) return next();
    if (req.privacyLog === undefined) deps.onRequestNotLogged?.(path);
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (path === GPC_PATH) {
        if (gpcBody === undefined) return next();
        res.type('application/json').send(gpcBody);
        return;
      }
      if (path === `${prefix}/notice`) {
        if (anonymous) deps.onNoticeWithoutController?.();
        const markdown = req.query?.format === 'markdown';
        res.setHeader('Cache-Control', 'no-cache');
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.setHeader(
          'Content-Security-Policy',
          "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'self'",
        );
        if (markdown) res.type('text/markdown; charset=utf-8').send(notice('markdown'));
        else res.type('html').send(notice('html'));
        return;
      }
      if (path === `${prefix}/my-data` && req.method === 'GET' && subjectDeps) {
        void myData(subjectDeps, req, res).catch(next);
        return;
      }
      if (path === `${prefix}/status`) {
        const state = jar.read(req);
        const decision = req.privacyLog?.decision ?? decideNow(req, state.choice);
        res.setHeader('Cache-Control', 'no-store');
        res.json(statusBody(decision, state.consentOutdated));
        return;
      }
      return next();
    }
    if (req.method === 'POST') {
      if (path === `${prefix}/opt-out`) {
        void choose(req, res, 'out').catch(next);
        return;
      }
      if (path === `${prefix}/opt-in`) {
        void choose(req, res, 'in').catch(next);
        return;
      }
      if (path === `${prefix}/erase` && subjectDeps) {
        void eraseMyData(subjectDeps, req, res).catch(next);
        return;
      }
    }
    next();
  };
}
