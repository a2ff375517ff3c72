import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { GeoLookup } from './enrich/geo.js';
import { loadGeo } from './enrich/geo.js';
import { UserAgentParser } from './enrich/user-agent.js';
import { defaultLogger } from './logger.js';
import { RotatingKey } from './minimize/rotating-key.js';
import { type PrivacyLogOptions, parseOptions } from './options.js';
import { Dispatcher, type DispatcherStats } from './pipeline/dispatcher.js';
import { createProcessor } from './pipeline/process.js';
import { compilePolicy } from './policy/compile.js';
import { definePolicy } from './policy/define.js';
import { DAY_MS, parseDuration } from './policy/duration.js';
import { PolicyError } from './policy/errors.js';
import { presets } from './policy/presets.js';
import { startupWarnings, Warnings } from './policy/warnings.js';
import { createRouter, type RouterOptions } from './privacy/router.js';
import { type Captured, capturedSize } from './request/capture.js';
import { CookieJar } from './request/cookie-jar.js';
import { Decider } from './request/decide.js';
import { PrivacyLogHandle } from './request/handle.js';
import { hasDnt, hasGpc } from './request/signals.js';
import { SqliteStore } from './stores/sqlite-store.js';
import type { Store } from './stores/store.js';

declare global {
  namespace Express {
    interface Request {
      /** Set by express-privacy-log: this request's decision and the calls that feed its record. */
      privacyLog?: PrivacyLogHandle;
    }
  }
}

/** The middleware `privacyLog()` returns, with the methods that manage it. */
export interface PrivacyLogMiddleware extends RequestHandler {
  /** Resolves once every record captured so far is written to every store (or dropped and counted). */
  flush(): Promise<void>;
  /** Flush within `timeoutMs` (default 10 s), stop timers and close the stores. */
  close(options?: { timeoutMs?: number }): Promise<void>;
  /** The privacy routes: opt-out, opt-in, status and `/.well-known/gpc.json`. */
  router(options?: RouterOptions): RequestHandler;
  /** Counters per store: accepted = written + dropped + buffered. */
  stats(): DispatcherStats;
}

/**
 * Create the access-log middleware. Validates everything once, here: a mistake throws
 * {@link PolicyError} at startup naming the key and the fix, never at request time.
 */
export function privacyLog(options: PrivacyLogOptions = {}): PrivacyLogMiddleware {
  const opts = parseOptions(options);
  const policy = definePolicy(opts.policy ?? presets.gdpr, 'policy');
  const compiled = compilePolicy(policy);
  const secrets: readonly string[] =
    opts.secret === undefined ? [] : typeof opts.secret === 'string' ? [opts.secret] : opts.secret;
  if (compiled.visitor === 'cookie' && secrets.length === 0) {
    throw new PolicyError([
      {
        key: 'secret',
        message:
          "missing: the policy sets an analytics cookie (categories.nonessential.visitor is 'cookie'), which must be signed; pass secret: process.env.COOKIE_SECRET (32 or more random characters), or use a cookieless policy such as presets.cookieless",
      },
    ]);
  }
  const logger = opts.logger ?? defaultLogger();
  const warnings = new Warnings(logger, opts.warnings);
  const stores: Store[] =
    opts.store === undefined
      ? [new SqliteStore()]
      : Array.isArray(opts.store)
        ? [...opts.store]
        : [opts.store];
  startupWarnings(warnings, policy, secrets, stores);

  const client = policy.categories.client;
  let geo: GeoLookup | undefined;
  const ready = client && client.geo !== 'none' ? loadGeo().then((g) => (geo = g)) : undefined;
  const ipKey =
    client?.ip.mode === 'hash'
      ? new RotatingKey({ periodMs: parseDuration(client.ip.keyRotation)! })
      : undefined;
  const visitorKey =
    compiled.visitor === 'daily-hash' ? new RotatingKey({ periodMs: DAY_MS }) : undefined;
  const processor = createProcessor({
    compiled,
    userAgents: new UserAgentParser({ cacheSize: opts.userAgentCacheSize }),
    geo: () => geo,
    ipKey,
    visitorKey,
  });
  const dispatcher = new Dispatcher<Captured>({
    stores,
    process: processor,
    sizeOf: capturedSize,
    ...(ready ? { ready } : {}),
    logger,
    maxRecords: opts.queue.maxRecords,
    maxBytes: opts.queue.maxBytes,
    batchSize: opts.batch.size,
    maxDelayMs: opts.batch.maxDelayMs,
    writeTimeoutMs: opts.writeTimeoutMs,
    maxRetries: opts.retries,
  });

  const decider = new Decider(compiled);
  const jar = new CookieJar(compiled, secrets);
  const consent = opts.consent;
  const handleContext = {
    optionalFields: compiled.optionalFields,
    optionalMaxLength: policy.categories.optional?.maxLength ?? 0,
    hasSecurity: policy.categories.security !== undefined,
    onIncidentWithoutCategory: () => warnings.emit('WRN_INCIDENT_WITHOUT_SECURITY'),
  };
  let checkedTrustProxy = false;

  const appConsent = (req: Request): boolean | undefined => {
    if (!consent) return undefined;
    try {
      const answer = consent(req);
      return typeof answer === 'boolean' ? answer : undefined;
    } catch (err) {
      // A broken consent function must not break the site; no answer means no consent.
      logger.error({ err, code: 'ERR_CONSENT_FUNCTION' }, 'the consent function threw');
      return false;
    }
  };

  const middleware = function privacyLogMiddleware(
    req: Request,
    res: Response,
    next: NextFunction,
  ) {
    const startMs = Date.now();
    const startPerf = performance.now();
    if (!checkedTrustProxy) {
      checkedTrustProxy = true;
      if (req.app?.get('trust proxy') === true) warnings.emit('WRN_TRUST_PROXY_TRUE');
    }
    const headers = req.headers;
    const cookies = jar.read(req);
    const decision = decider.decide({
      gpc: hasGpc(headers['sec-gpc']),
      dnt: hasDnt(headers.dnt),
      choice: cookies.choice,
      app: appConsent(req),
    });
    const visitorId = jar.apply(res, req.secure, cookies, decision);
    const captured: Captured = {
      startMs,
      startPerf,
      method: req.method,
      url: req.originalUrl,
      ip: req.ip,
      host: headers.host,
      userAgent: headers['user-agent'],
      referer: decision.analytics ? headers.referer : undefined,
      decision,
      visitorId,
      optional: undefined,
      incidents: undefined,
      status: 0,
      durationMs: 0,
      bytes: undefined,
      aborted: false,
      route: undefined,
    };
    req.privacyLog = new PrivacyLogHandle(captured, handleContext);
    res.once('close', () => {
      captured.durationMs = performance.now() - captured.startPerf;
      // An aborted response never finished: its statusCode still reads 200, so say what was sent.
      captured.aborted = !res.writableFinished;
      captured.status = res.headersSent ? res.statusCode : 0;
      const length = res.getHeader('content-length');
      if (length !== undefined) {
        const n = Number(length);
        if (Number.isSafeInteger(n) && n >= 0) captured.bytes = n;
      }
      const route = req.route?.path;
      if (typeof route === 'string') captured.route = (req.baseUrl ?? '') + route;
      dispatcher.push(captured);
    });
    next();
  } as PrivacyLogMiddleware;

  middleware.flush = () => dispatcher.flush();
  middleware.close = async (closeOptions) => {
    await dispatcher.close(closeOptions);
    // Keys go only after the last record is processed: hashing with a closed key throws.
    ipKey?.close();
    visitorKey?.close();
  };
  middleware.stats = () => dispatcher.stats();
  middleware.router = (routerOptions = {}) =>
    createRouter({ compiled, decider, jar, appConsent }, routerOptions);
  return middleware;
}
