import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { captureHints } from './enrich/client-hints.js';
import type { GeoLookup } from './enrich/geo.js';
import { loadGeo, loadGeoSync } from './enrich/geo.js';
import { defaultLogger, report } from './logger.js';
import { type PrivacyLogOptions, parseOptions } from './options.js';
import type { DispatcherStats } from './pipeline/dispatcher.js';
import type { EnrichmentStats } from './pipeline/enrich-stage.js';
import { inProcessPipeline, type RecordPipeline } from './pipeline/in-process.js';
import { checkLookups, createLookups } from './pipeline/lookups.js';
import { isRegionalPolicy } from './policy/by-region.js';
import { type DefinedPolicy, definePolicy } from './policy/define.js';
import { PolicyError } from './policy/errors.js';
import { presets } from './policy/presets.js';
import { startupWarnings, Warnings } from './policy/warnings.js';
import type { HoldsApi } from './privacy/holds.js';
import { createRouter, type RouterOptions } from './privacy/http/router.js';
import { createOperations } from './privacy/operations.js';
import type { RetentionReport } from './privacy/retention.js';
import { listConsents } from './privacy/subject-consents.js';
import type { SubjectsApi } from './privacy/subjects.js';
import { createDashboard, type DashboardOptions } from './reports/dashboard/router.js';
import { createReports, type ReportsApi } from './reports/reports-api.js';
import type { Captured } from './request/capture.js';
import { consentChange } from './request/consent-changes.js';
import type { PrivacyLogHandle } from './request/handle.js';
import { attachHandle } from './request/handle-slot.js';
import { routesAhead } from './request/mount-order.js';
import { RegionSelector } from './request/region.js';
import { hasDnt, hasGpc } from './request/signals.js';
import { RequestTracker } from './request/tracker.js';
import { createRuntime, type PolicyRuntime } from './runtime.js';
import { createSecurityApi, type SecurityApi } from './security/api.js';
import { captureEvidence } from './security/evidence.js';
import { handleShutdownSignals } from './shutdown-signals.js';
import type { ConsentEvent, ConsentQuery } from './stores/consent-events.js';
import { keepsConsentLedger } from './stores/consent-events.js';
import { isModuleStoreSpec, ModuleStore } from './stores/module-store.js';
import { spillOf } from './stores/spill-options.js';
import { SqliteStore } from './stores/sqlite/store.js';
import type { Store } from './stores/store.js';
import { canResolveAddresses } from './worker/client-address.js';
import { startWorkerPipeline } from './worker/worker-mode.js';

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
  /**
   * The privacy routes: opt-out, opt-in, erase, status, my-data, notice and
   * `/.well-known/gpc.json`.
   */
  router(options?: RouterOptions): RequestHandler;
  /**
   * Apply retention now (or at `now`) in every store that can purge, then warn about legal holds
   * past their review date. The `retention` option runs this on a schedule. Never rejects once
   * started; rejects after `close()`.
   */
  purge(now?: Date): Promise<RetentionReport>;
  /** Legal holds across every store that supports them. */
  readonly holds: HoldsApi;
  /** Subject access and erasure across every store; the app authenticates who asks. */
  readonly subjects: SubjectsApi;
  /** Security investigations: flag records already stored. */
  readonly security: SecurityApi;
  /**
   * The consent ledger: every change of choice kept by the stores that keep one (oldest first,
   * each once), optionally for one visitor id or a time range.
   */
  consents(query?: ConsentQuery): Promise<ConsentEvent[]>;
  /** Counters per store (accepted = written + dropped + buffered), and of the lookups. */
  stats(): PrivacyLogStats;
  /** Traffic reports from anonymous rollups that outlive the raw records. */
  readonly reports: ReportsApi;
  /** The traffic dashboard, a router for the site owner; `authorize(req)` is required. */
  dashboard(options: DashboardOptions): RequestHandler;
}

/** What {@link PrivacyLogMiddleware.stats} returns. */
export interface PrivacyLogStats extends DispatcherStats {
  /**
   * The step before the dispatcher: records waiting for reverse DNS or the company, bots not
   * recorded, lookups that missed their deadline.
   */
  enrichment: EnrichmentStats;
}

/**
 * Create the access-log middleware. Validates everything once, here: a mistake throws
 * {@link PolicyError} at startup naming the key and the fix, never at request time.
 */
export function privacyLog(options: PrivacyLogOptions = {}): PrivacyLogMiddleware {
  const opts = parseOptions(options);
  const regional = isRegionalPolicy(opts.policy) ? opts.policy : undefined;
  const policies: readonly DefinedPolicy[] = regional
    ? regional.policies
    : [definePolicy((opts.policy as Parameters<typeof definePolicy>[0]) ?? presets.gdpr, 'policy')];
  const keyOf = (p: DefinedPolicy) => (regional ? `policyByRegion(${p.name})` : 'policy');
  const secrets: readonly string[] =
    opts.secret === undefined ? [] : typeof opts.secret === 'string' ? [opts.secret] : opts.secret;
  if (
    policies.some((p) => p.categories.nonessential?.visitor === 'cookie') &&
    secrets.length === 0
  ) {
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
  const stores: Store[] = (
    opts.store === undefined ? [new SqliteStore()] : [opts.store].flat()
  ).map((s) => (isModuleStoreSpec(s) ? new ModuleStore(s) : s));
  for (const policy of policies) startupWarnings(warnings, policy, secrets, stores);
  checkLookups(policies, opts.enrich, keyOf);

  // A regional policy places every request before deciding, so GeoIP must be there from the
  // first request: it loads now, synchronously. Otherwise it loads in the background, where the
  // records are made.
  let geo: GeoLookup | undefined = regional ? loadGeoSync() : undefined;
  const wantsGeo = policies.some((p) => (p.categories.client?.geo ?? 'none') !== 'none');
  const selector = regional && geo ? new RegionSelector(regional, geo) : undefined;
  let hookReported = false;
  let detectReported = false;
  const runtimes: PolicyRuntime[] = policies.map((policy) =>
    createRuntime(policy, {
      secrets,
      geo: () => geo,
      userAgentCacheSize: opts.userAgentCacheSize,
      redactPath: opts.redactPath,
      onHookError: (err) => {
        if (hookReported) return;
        hookReported = true;
        report(
          logger,
          'error',
          { err, code: 'ERR_PATH_HOOK' },
          'redactPath threw; built-in redaction kept',
        );
      },
      onIncidentWithoutCategory: () => warnings.emit('WRN_INCIDENT_WITHOUT_SECURITY'),
      detect: opts.detect,
      signingKey: opts.security.signingKey,
      checkpointEvery: opts.security.checkpointEvery,
      investigatorKey: opts.security.investigatorKey,
      onDetectError: (err) => {
        // Once: a hook that throws on every request must not flood the diagnostic log.
        if (detectReported) return;
        detectReported = true;
        report(logger, 'error', { err, code: 'ERR_DETECT_HOOK' }, 'the detect hook threw');
      },
    }),
  );
  const byId = new Map(runtimes.map((rt) => [rt.compiled.id, rt]));
  const only = runtimes.length === 1 ? runtimes[0]! : undefined;
  const runtimeOf = (c: Captured) => only ?? byId.get(c.decision.policy)!;
  const offThread =
    (opts.worker ?? process.env.NODE_ENV === 'production')
      ? startWorkerPipeline({
          options: opts,
          policies,
          secrets,
          stores,
          logger,
          warnings,
          explicit: opts.worker === true,
        })
      : undefined;
  const pipeline: RecordPipeline =
    offThread?.pipeline ??
    inProcessPipeline({
      stores,
      runtimeOf,
      only,
      lookups: createLookups(policies, opts.enrich, keyOf),
      ready: wantsGeo && !geo ? loadGeo().then((g) => (geo = g)) : undefined,
      logger,
      options: opts,
    });
  // New visitor ids come signed from the worker; a jar signs one itself only when none is left.
  const signedIds = offThread?.pipeline.visitorIds;
  if (signedIds !== undefined) for (const rt of runtimes) rt.jar.useSignedIds(signedIds);
  // The worker resolves the client address unless a regional policy needs it here to choose.
  const addresses = offThread && !regional && canResolveAddresses() ? offThread.trusts : undefined;
  /** The runtime whose policy governs a request: by region, or the only one. */
  const runtimeFor = (req: Request): PolicyRuntime =>
    only ?? runtimes[selector ? selector.select(req.ip) : regional!.unknown]!;

  const consent = opts.consent;
  let checkedTrustProxy = false;
  // Over plain HTTP the cookies carry no __Host- prefix. Checked only where a cookie needed
  // req.secure anyway, so that watching costs the request path nothing more.
  let watchInsecure =
    process.env.NODE_ENV === 'production' &&
    policies.some((p) => p.categories.nonessential?.visitor === 'cookie');

  const appConsent = (req: Request): boolean | undefined => {
    if (!consent) return undefined;
    try {
      const answer = consent(req);
      return typeof answer === 'boolean' ? answer : undefined;
    } catch (err) {
      // A broken consent function must not break the site; no answer means no consent.
      report(logger, 'error', { err, code: 'ERR_CONSENT_FUNCTION' }, 'the consent function threw');
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
      const ahead = routesAhead(req.app, middleware);
      if (ahead.length > 0) warnings.emit('WRN_ROUTES_BEFORE_MIDDLEWARE', { routes: ahead });
    }
    const headers = req.headers;
    const { compiled, decider, jar, handleContext, notice } = runtimeFor(req);
    // Never ask for more hints than the policy keeps (by default, none beyond those sent unasked).
    if (compiled.acceptCh !== undefined) res.setHeader('Accept-CH', compiled.acceptCh);
    // The tracker is also the jar's secure flag: Express parses addresses on every read of
    // req.secure, so it is read at most once here, and only if a cookie needs it.
    const tracker = new RequestTracker(req, handleContext);
    const cookies = jar.read(req, tracker);
    const app = appConsent(req);
    const decision = decider.decide({
      gpc: hasGpc(headers['sec-gpc']),
      dnt: hasDnt(headers.dnt),
      choice: cookies.choice,
      app,
    });
    const visitorId = jar.apply(res, tracker, cookies, decision);
    const consentNote =
      app === undefined && cookies.choice !== 'in'
        ? undefined
        : consentChange(compiled, jar, res, tracker, cookies, decision, app, notice);
    if (consentNote?.choice === 'in') consentNote.visitorId = visitorId;
    if (watchInsecure && tracker.insecure) {
      watchInsecure = false;
      warnings.emit('WRN_INSECURE_COOKIES');
    }
    // Read once: under `trust proxy` every read of req.ip parses the forwarding chain again. In
    // worker mode the worker resolves it from the socket's address and X-Forwarded-For, copied
    // here (the socket's address is gone by the time the response closes); a `trust proxy`
    // function cannot cross, so then Express resolves it here.
    const trust = addresses === undefined ? -1 : addresses.indexOf(req);
    const resolvedHere = trust < 0;
    const ip = resolvedHere ? req.ip : undefined;
    const captured: Captured = {
      startMs,
      startPerf,
      method: req.method,
      url: req.originalUrl,
      ip,
      // Always present, so that every captured request has the same shape.
      remoteAddress: resolvedHere ? undefined : req.socket?.remoteAddress,
      forwardedFor: resolvedHere ? undefined : (headers['x-forwarded-for'] as string | undefined),
      trust: resolvedHere ? undefined : trust,
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
      hints: compiled.readHints ? captureHints(headers) : undefined,
      // Security investigations: references only; stored only if the request is flagged.
      evidence: compiled.policy.categories.security
        ? captureEvidence(req, ip, !resolvedHere)
        : undefined,
      consent: consentNote,
    };
    tracker.captured = captured;
    attachHandle(req, tracker);
    // A closure, not a property on `res`: Express's response objects are large, and adding a
    // property to one costs more than allocating the closure. `on`, not `once`: the tracker
    // completes only once, and `once` would allocate a wrapper as well.
    res.on('close', () => {
      const done = tracker.complete(res);
      if (done !== undefined) pipeline.push(done);
    });
    next();
  } as PrivacyLogMiddleware;

  middleware.flush = () => pipeline.flush();
  // --- traffic reports ---
  const reports = createReports({
    stores,
    // A store built in the worker keeps its rollups there: a run reads every new record.
    remote: (index) => offThread?.pipeline.rollups(index),
    aggregates: policies.map((p) => p.aggregates),
    logger,
    flush: () => middleware.flush(),
    shortestRetentionMs: Math.min(
      ...runtimes.flatMap((rt) =>
        (['client', 'essential', 'nonessential'] as const).map(
          (category) => rt.compiled.retentionMs[category] ?? Number.POSITIVE_INFINITY,
        ),
      ),
    ),
  });
  // --- end traffic reports ---
  const operations = createOperations({
    stores: pipeline.stores,
    policies,
    logger,
    warnings,
    // Per store and bounded: a visitor's request must not wait for another store's retries.
    flush: (names, timeoutMs) => pipeline.flushStores(names, timeoutMs),
    retention: opts.retention,
    purgeUpTo: reports.purgeUpTo,
  });
  const stopSignals =
    opts.handleSignals === false
      ? undefined
      : handleShutdownSignals(
          opts.handleSignals === true
            ? { signals: ['SIGTERM', 'SIGINT'], timeoutMs: 10_000 }
            : opts.handleSignals,
          (timeoutMs) => middleware.close({ timeoutMs }),
          logger,
        );
  middleware.close = async (closeOptions) => {
    stopSignals?.();
    // Retention and subject requests finish (or time out) before their stores are closed.
    await operations.close(closeOptions?.timeoutMs ?? 10_000);
    await reports.close();
    await pipeline.close(closeOptions);
    // Keys go only after the last record is processed: hashing with a closed key throws.
    for (const rt of runtimes) rt.close();
  };
  middleware.dashboard = (dashboardOptions) => createDashboard(reports.snapshot, dashboardOptions);
  middleware.stats = () => pipeline.stats();
  middleware.purge = (now) => operations.purge(now);
  middleware.consents = (query) =>
    listConsents(
      operations.storeSet,
      (names, timeoutMs) => pipeline.flushStores(names, timeoutMs),
      query,
    );
  Object.assign(middleware, {
    holds: operations.holds,
    subjects: operations.subjects,
    reports: reports.api,
    security: createSecurityApi(
      operations.holds,
      operations.storeSet,
      policies.find((p) => p.categories.security)?.categories.security?.retention,
      opts.security.signingKey,
      () => middleware.flush(),
    ),
  });
  middleware.router = (routerOptions = {}) => {
    const siteHonoursGpc = runtimes.every((rt) => rt.compiled.honourGpc);
    const routers = runtimes.map((rt) =>
      createRouter(
        {
          compiled: rt.compiled,
          decider: rt.decider,
          jar: rt.jar,
          appConsent,
          subjects: operations.subjects,
          siteHonoursGpc,
          logger,
          appendOnlyLogs: stores.filter((store) => typeof store.erase !== 'function').length,
          diskSpill: stores.some((store) => spillOf(store) !== undefined),
          consentLedger: () => stores.some(keepsConsentLedger),
          notice: rt.notice,
          onNoticeWithoutController: () => warnings.emit('WRN_NOTICE_WITHOUT_CONTROLLER'),
          onRequestNotLogged: (path) => warnings.emit('WRN_ROUTER_WITHOUT_MIDDLEWARE', { path }),
        },
        routerOptions,
      ),
    );
    if (only) return routers[0]!;
    return (req, res, next) => routers[runtimes.indexOf(runtimeFor(req))]!(req, res, next);
  };
  return middleware;
}
