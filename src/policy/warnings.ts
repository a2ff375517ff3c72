import { type DiagnosticLogger, report } from '../logger.js';
import { keepsConsentLedger } from '../stores/consent-events.js';
import { ModuleStore } from '../stores/module-store.js';
import { type Store, storeName } from '../stores/store.js';
import { COOKIE_ADVISED_DAYS } from './checks.js';
import type { DefinedPolicy } from './define.js';
import { DAY_MS, parseDuration } from './duration.js';

/**
 * Legal but risky choices, reported once at startup with a stable code, so that a reviewer can
 * grep for them and an operator can silence the ones they accept (`warnings: ['WRN_FULL_IP']`).
 */
export const WARNING_CODES = {
  WRN_FULL_IP:
    'the policy stores full IP addresses (categories.client.ip.mode or categories.security.ip is "full")',
  WRN_RETENTION_FOREVER: 'a category is kept forever; GDPR Art. 5(1)(e) asks for a limit',
  WRN_COOKIE_OVER_13_MONTHS:
    'the analytics cookie lives longer than 13 months (395 days), beyond CNIL guidance',
  WRN_RAW_USER_AGENT: 'the policy stores raw User-Agent strings, which help fingerprint visitors',
  WRN_ENRICH_FULL_ADDRESS:
    'GeoIP and network lookups use the full address (categories.client.enrichFromFullAddress)',
  WRN_GPC_IGNORED:
    'the policy ignores Global Privacy Control, which CCPA and Colorado treat as a valid opt-out',
  WRN_MEMORY_STORE_IN_PRODUCTION:
    'MemoryStore keeps records in process memory and loses them on restart',
  WRN_SHORT_SECRET: 'the cookie secret is shorter than 32 characters',
  WRN_TRUST_PROXY_TRUE:
    "Express 'trust proxy' is true: any client can set X-Forwarded-For and choose the logged address; list your proxies instead",
  WRN_INCIDENT_WITHOUT_SECURITY:
    'flagIncident() was called but the policy declares no security category, so nothing was kept',
  WRN_HOLD_REVIEW_DUE:
    'a legal hold is past its review date: extend it with a new review date or release it',
  WRN_NOTICE_WITHOUT_CONTROLLER:
    "the privacy notice was served without naming the controller or how to reach them: set router({ notice: { controller, contact } }) or the policy's notice.controller and notice.contact",
  WRN_INSECURE_COOKIES:
    "cookies are set over plain HTTP, without the __Host- prefix, so a sibling subdomain can plant a visitor id or a consent: serve the site over HTTPS (behind a proxy that ends TLS, set Express 'trust proxy' to that proxy)",
  WRN_STORE_CANNOT_ERASE:
    'a store has no erase(): an erasure request leaves what it keeps in place until you rotate or delete it; where the store can, it records the request and no longer serves those records',
  WRN_STORE_CANNOT_PURGE:
    'a store has no purge(): retention does not reach what it keeps; rotate or delete it within the shortest retention of the policy',
  WRN_ROUTES_BEFORE_MIDDLEWARE:
    'routes are mounted ahead of the privacyLog middleware, so the requests they answer are never logged: app.use() the middleware before the routes',
  WRN_ROUTER_WITHOUT_MIDDLEWARE:
    'the privacy router served a request the privacyLog middleware never saw: mount the middleware (app.use(logger)) ahead of logger.router()',
  WRN_NO_CONSENT_LEDGER:
    'no store keeps a consent ledger (writeConsents): changes of choice are not recorded, and the notice does not say they are; add a store that keeps one (SqliteStore, PostgresStore, RedisStreamStore)',
  WRN_WORKER_FALLBACK:
    'worker mode was asked for but the pipeline runs on the serving thread (see the reason given)',
} as const;

export type WarningCode = keyof typeof WARNING_CODES;

/** Emits each warning code at most once per logger instance, unless silenced. */
export class Warnings {
  readonly #logger: DiagnosticLogger;
  readonly #silenced: ReadonlySet<string> | 'all';
  readonly #sent = new Set<WarningCode>();
  readonly #sentFor = new Set<string>();

  constructor(logger: DiagnosticLogger, setting: boolean | readonly string[]) {
    this.#logger = logger;
    this.#silenced = setting === false ? 'all' : new Set(setting === true ? [] : setting);
  }

  emit(code: WarningCode, details: object = {}): void {
    if (this.#sent.has(code)) return;
    this.#sent.add(code);
    this.#send(code, details);
  }

  /** Like {@link emit}, but once per `key` (one warning per legal hold, say), not once per code. */
  emitFor(code: WarningCode, key: string, details: object = {}): void {
    const id = `${code}\u0000${key}`;
    if (this.#sentFor.has(id)) return;
    this.#sentFor.add(id);
    this.#send(code, details);
  }

  /** Never throws: a warning is advice, and the app's logger failing must not turn it into an error. */
  #send(code: WarningCode, details: object): void {
    if (this.#silenced === 'all' || this.#silenced.has(code)) return;
    let payload: object;
    try {
      payload = { code, ...details };
    } catch {
      payload = { code };
    }
    report(this.#logger, 'warn', payload, `${code}: ${WARNING_CODES[code]}`);
  }
}

/** The startup warnings a policy, its secret and its stores deserve. */
export function startupWarnings(
  warnings: Warnings,
  policy: DefinedPolicy,
  secrets: readonly string[],
  stores: readonly Store[],
): void {
  const { categories } = policy;
  if (categories.client?.ip.mode === 'full' || categories.security?.ip === 'full') {
    warnings.emit('WRN_FULL_IP', { policy: policy.name });
  }
  const forever = Object.entries(categories)
    .filter(([, c]) => c?.retention === 'forever')
    .map(([name]) => name);
  if (forever.length > 0) warnings.emit('WRN_RETENTION_FOREVER', { categories: forever });
  if (
    categories.nonessential?.visitor === 'cookie' &&
    parseDuration(policy.cookie.maxAge)! > COOKIE_ADVISED_DAYS * DAY_MS
  ) {
    warnings.emit('WRN_COOKIE_OVER_13_MONTHS', { maxAge: policy.cookie.maxAge });
  }
  if (categories.essential.userAgent === 'raw') warnings.emit('WRN_RAW_USER_AGENT');
  if (categories.client?.enrichFromFullAddress) warnings.emit('WRN_ENRICH_FULL_ADDRESS');
  if (!policy.signals.gpc) warnings.emit('WRN_GPC_IGNORED');
  if (secrets.some((s) => s.length < 32)) warnings.emit('WRN_SHORT_SECRET');
  // A policy whose records can be tied to a person promises access and erasure (the privacy
  // routes, `logger.subjects`); a store that cannot erase breaks that promise for what it keeps.
  const bySubject =
    categories.nonessential?.visitor === 'cookie' ||
    categories.optional !== undefined ||
    categories.client?.ip.mode === 'full';
  const limited = Object.values(categories).some(
    (category) => category !== undefined && category.retention !== 'forever',
  );
  for (const store of stores) {
    const name = storeName(store);
    if (bySubject && typeof store.erase !== 'function') {
      warnings.emitFor('WRN_STORE_CANNOT_ERASE', name, { store: name, policy: policy.name });
    }
    if (limited && typeof store.purge !== 'function') {
      warnings.emitFor('WRN_STORE_CANNOT_PURGE', name, { store: name, policy: policy.name });
    }
  }
  // A store loaded from a module shows its methods only once loaded: it is not warned about.
  if (!stores.some((store) => keepsConsentLedger(store) || store instanceof ModuleStore)) {
    warnings.emit('WRN_NO_CONSENT_LEDGER', { stores: stores.map(storeName) });
  }
  if (
    process.env.NODE_ENV === 'production' &&
    stores.some((s) => s.constructor?.name === 'MemoryStore')
  ) {
    warnings.emit('WRN_MEMORY_STORE_IN_PRODUCTION');
  }
}
