import type { KeyObject } from 'node:crypto';
import { GeoCache, type GeoLookup } from '../enrich/geo.js';
import type { ParsedAgent, UserAgentParser } from '../enrich/user-agent.js';
import { uuidv7 } from '../ids.js';
import { type NormalIp, normalizeIp, truncateIp, truncateNetwork } from '../minimize/ip.js';
import { prefixPreservingPseudonym } from '../minimize/prefix-preserving.js';
import { minimizeReferrer } from '../minimize/referrer.js';
import type { RotatingKey } from '../minimize/rotating-key.js';
import { cleanText } from '../minimize/text.js';
import { minimizePath } from '../minimize/url.js';
import type { CompiledPolicy } from '../policy/compile.js';
import {
  type AccessRecord,
  type Category,
  type ClientInfo,
  type EssentialInfo,
  type NonessentialInfo,
  RECORD_VERSION,
} from '../record.js';
import type { Captured } from '../request/capture.js';
import type { SecurityChain } from '../security/chain.js';
import type { Detection } from '../security/detectors.js';
import { addEvidence } from '../security/evidence.js';
import { seal } from '../security/seal.js';
import { IsoTimestamps } from './timestamps.js';

export interface ProcessorDeps {
  compiled: CompiledPolicy;
  userAgents: UserAgentParser;
  /** Set once GeoIP data has loaded; until then (or without geo) records carry no `geo`. */
  geo: () => GeoLookup | undefined;
  /** The rotating key for `ip.mode: 'hash'`. */
  ipKey: RotatingKey | undefined;
  /** The rotating key for `visitor: 'daily-hash'`. */
  visitorKey: RotatingKey | undefined;
  /** The rotating key of the security category's prefix-preserving pseudonym. */
  securityKey?: RotatingKey | undefined;
  /**
   * The user's path hook: gets the minimised path (and the route template, if any) and returns
   * what to store instead. Whatever it returns is cleaned again; if it throws, the built-in
   * result is kept and `onHookError` is told.
   */
  redactPath?: PathHook | undefined;
  onHookError?: ((err: unknown) => void) | undefined;
  /** Security investigations: the policy's attack detectors, when it has a security category. */
  detection?: Detection | undefined;
  /** Security investigations: the hash chain flagged records join. */
  chain?: SecurityChain | undefined;
  /** The investigator's X25519 public key, for `security.ip: 'sealed'`. */
  sealTo?: KeyObject | undefined;
}

/** A user's last word on a path: `(path, { route }) => path`. */
export type PathHook = (path: string, context: { route?: string | undefined }) => string;

/**
 * The address that lookups (GeoIP, reverse DNS, company) may use: the truncated one unless
 * the policy allows the full one, which is then never stored.
 */
export function lookupAddress(ip: NormalIp, compiled: CompiledPolicy): string {
  const client = compiled.policy.categories.client;
  if (!client || client.enrichFromFullAddress) return ip.address;
  return truncateIp(ip, client.ip.ipv4Prefix, client.ip.ipv6Prefix);
}

/**
 * What the addresses of {@link lookupAddress} may key a cache by (GeoIP's answers, the built-in
 * company data's), if anything: `network` when lookups use a truncated address wide enough to
 * count as minimised; `address` when they use the full address and the record stores it in full
 * too (a cache then holds nothing the record does not); nothing when they use the full address
 * but the record keeps less (a hash, a network, or no address), so that no full address is held
 * for a policy that promises not to keep it.
 */
export function lookupCacheKey(client: {
  ip: { mode: string; ipv4Prefix: number; ipv6Prefix: number };
  enrichFromFullAddress: boolean;
}): 'network' | 'address' | undefined {
  if (client.enrichFromFullAddress) return client.ip.mode === 'full' ? 'address' : undefined;
  return GeoCache.cacheable(client.ip.ipv4Prefix, client.ip.ipv6Prefix) ? 'network' : undefined;
}

const MAX_HOST = 255;
const MAX_ROUTE = 512;
const MAX_UA = 512;
const MAX_REASONS = 16;

function essentialOf(c: Captured, deps: ProcessorDeps): EssentialInfo {
  const { essential } = deps.compiled.policy.categories;
  const out: EssentialInfo = {
    method: cleanText(c.method, 16),
    path: pathOf(c, deps),
    status: c.status,
    durationMs: Math.round(c.durationMs * 1000) / 1000,
  };
  if (c.route !== undefined) out.route = cleanText(c.route, MAX_ROUTE);
  if (c.bytes !== undefined) out.bytes = c.bytes;
  if (c.aborted) out.aborted = true;
  if (essential.host && c.host) out.host = cleanText(c.host.toLowerCase(), MAX_HOST);
  if (essential.userAgent !== 'none') {
    const agent: ParsedAgent = deps.userAgents.parse(c.userAgent, c.hints);
    if (agent.browser) out.browser = agent.browser;
    if (agent.os) out.os = agent.os;
    if (agent.device) out.device = agent.device;
    out.bot = agent.bot;
    if (essential.userAgent === 'raw' && c.userAgent)
      out.userAgent = cleanText(c.userAgent, MAX_UA);
  }
  return out;
}

function pathOf(c: Captured, deps: ProcessorDeps): string {
  // Without a route template, id-like segments are the only clue that a path names someone.
  const path = minimizePath(
    c.url,
    deps.compiled.queryAllow,
    2048,
    c.route === undefined ? 'ids' : 'personal',
  );
  const hook = deps.redactPath;
  if (hook === undefined) return path;
  try {
    const replaced = hook(path, { route: c.route });
    if (typeof replaced === 'string') return cleanText(replaced, 2048);
    throw new TypeError('the path hook returned no string');
  } catch (err) {
    deps.onHookError?.(err);
    return path;
  }
}

/** What the processor keeps between records: caches keyed by nothing the record does not keep. */
interface ProcessorState {
  /** GeoIP answers per looked-up address, when {@link lookupCacheKey} allows it. */
  geoCache: GeoCache | undefined;
  /** The record's `time`. */
  time: IsoTimestamps;
  /** Expiry texts, one formatter per category, so each remembers its own last instant. */
  expiry: Record<Category, IsoTimestamps>;
}

function clientOf(
  c: Captured,
  ip: NormalIp | undefined,
  deps: ProcessorDeps,
  state: ProcessorState,
): ClientInfo | undefined {
  const client = deps.compiled.policy.categories.client;
  if (!client || !ip) return undefined;
  const out: ClientInfo = {};
  let empty = true;
  const network = truncateNetwork(ip, client.ip.ipv4Prefix, client.ip.ipv6Prefix);
  switch (client.ip.mode) {
    case 'full':
      out.ip = ip.received ?? ip.address;
      empty = false;
      break;
    case 'truncate':
      out.ip = network.address;
      empty = false;
      break;
    case 'hash':
      out.ip = deps.ipKey!.hmac(ip.address);
      empty = false;
      break;
    case 'none':
      break;
  }
  if (c.network?.domain !== undefined) {
    out.domain = cleanText(c.network.domain, 253);
    empty = false;
  }
  if (c.network?.company !== undefined) {
    out.company = cleanText(c.network.company, 128);
    empty = false;
  }
  const geo = deps.geo();
  if (geo && client.geo !== 'none' && c.decision.enrich) {
    // Look up the truncated address unless the policy allows the full one.
    const address = client.enrichFromFullAddress ? ip : network;
    const found = state.geoCache
      ? state.geoCache.lookup(geo, address)
      : geo.lookupIp(address, client.geo);
    if (found) {
      out.geo = found;
      empty = false;
    }
  }
  return empty ? undefined : out;
}

function nonessentialOf(
  c: Captured,
  ip: NormalIp | undefined,
  deps: ProcessorDeps,
): NonessentialInfo | undefined {
  const { compiled } = deps;
  const out: NonessentialInfo = {};
  let empty = true;
  if (compiled.referrer !== 'none') {
    const referrer = minimizeReferrer(c.referer, c.host, compiled.referrer);
    if (referrer !== undefined) {
      out.referrer = referrer;
      empty = false;
    }
  }
  if (compiled.visitor === 'cookie' && c.visitorId) {
    out.visitorId = c.visitorId;
    empty = false;
  }
  if (compiled.visitor === 'daily-hash' && deps.visitorKey) {
    // The key turns at 00:00 UTC and the old one is destroyed, so ids cannot be linked across days.
    const address = ip?.address ?? '';
    out.visitorId = deps.visitorKey.hmac(`${address}\n${c.userAgent ?? ''}\n${c.host ?? ''}`);
    empty = false;
  }
  return empty ? undefined : out;
}

function optionalOf(c: Captured, deps: ProcessorDeps): Record<string, string> | undefined {
  if (!c.optional) return undefined;
  const max = deps.compiled.policy.categories.optional?.maxLength ?? 0;
  const out: Record<string, string> = {};
  let empty = true;
  for (const name of Object.keys(c.optional)) {
    out[name] = cleanText(c.optional[name]!, max);
    empty = false;
  }
  return empty ? undefined : out;
}

function securityIpOf(ip: NormalIp | undefined, deps: ProcessorDeps): string | undefined {
  const mode = deps.compiled.securityIp;
  if (mode === 'none') return undefined;
  if (ip === undefined) return undefined;
  if (mode === 'full') return ip.received ?? ip.address;
  if (mode === 'sealed') return undefined;
  return deps.securityKey?.withKey((key) => prefixPreservingPseudonym(ip, key));
}

/** The app's incidents and the detectors' findings, each reason once. */
function reasonsOf(c: Captured, ip: NormalIp | undefined, deps: ProcessorDeps): string[] {
  const reasons: string[] = [];
  if (c.incidents) for (const r of c.incidents) reasons.push(cleanText(r, 200));
  if (deps.detection) {
    const found = deps.detection.detect(
      {
        method: c.method,
        target: c.url,
        userAgent: c.userAgent,
        status: c.status,
        timeMs: c.startMs,
      },
      ip,
    );
    for (const r of found) if (!reasons.includes(r)) reasons.push(r);
  }
  // A record keeps at most sixteen reasons, whoever gave them.
  return reasons.length > MAX_REASONS ? reasons.slice(0, MAX_REASONS) : reasons;
}

/** The categories whose expiry a record carries, in the order `expires` lists them. */
const EXPIRY_ORDER = ['essential', 'client', 'nonessential', 'optional', 'security'] as const;

function expiryOf(
  record: AccessRecord,
  startMs: number,
  compiled: CompiledPolicy,
  state: ProcessorState,
): void {
  // Security evidence keeps the whole record for the security category's retention.
  const floor = record.security ? (compiled.retentionMs.security ?? 0) : 0;
  for (const category of EXPIRY_ORDER) {
    if (category !== 'essential' && record[category] === undefined) continue;
    const ms = Math.max(compiled.retentionMs[category] ?? 0, floor);
    if (!Number.isFinite(ms)) continue;
    record.expires[category] = state.expiry[category].format(startMs + ms);
  }
}

/** Build the processor that turns a captured request into the record its decision allows. */
export function createProcessor(deps: ProcessorDeps): (c: Captured) => AccessRecord {
  const client = deps.compiled.policy.categories.client;
  const state: ProcessorState = {
    // Keyed only by what the record keeps anyway: a full address only if it is stored in full.
    geoCache:
      client && client.geo !== 'none' && lookupCacheKey(client) !== undefined
        ? new GeoCache(client.geo)
        : undefined,
    time: new IsoTimestamps(),
    expiry: {
      essential: new IsoTimestamps(),
      client: new IsoTimestamps(),
      nonessential: new IsoTimestamps(),
      optional: new IsoTimestamps(),
      security: new IsoTimestamps(),
    },
  };
  const needsAddress =
    client !== undefined ||
    deps.compiled.visitor === 'daily-hash' ||
    deps.compiled.securityIp !== 'none' ||
    deps.detection !== undefined;
  return (c) => {
    const { decision } = c;
    const allowed = decision.categories;
    // Parsed once for the client, the daily visitor hash and the security pseudonym.
    const ip = needsAddress ? normalizeIp(c.ip) : undefined;
    const record: AccessRecord = {
      v: RECORD_VERSION,
      id: uuidv7(c.startMs),
      time: state.time.format(c.startMs),
      policy: decision.policy,
      consent: {
        analytics: decision.analytics,
        basis: decision.basis,
        gpc: decision.gpc,
        dnt: decision.dnt,
      },
      essential: essentialOf(c, deps),
      expires: {},
    };
    if (allowed.includes('client')) {
      const client = clientOf(c, ip, deps, state);
      if (client) record.client = client;
    }
    if (allowed.includes('nonessential')) {
      const nonessential = nonessentialOf(c, ip, deps);
      if (nonessential) record.nonessential = nonessential;
    }
    if (allowed.includes('optional')) {
      const optional = optionalOf(c, deps);
      if (optional) record.optional = optional;
    }
    // Security investigations: the detectors run here, in the background, never on the request path.
    const reasons = allowed.includes('security') ? reasonsOf(c, ip, deps) : [];
    if (reasons.length > 0) {
      record.security = { reasons, hold: deps.compiled.policy.categories.security?.hold ?? true };
      addEvidence(record.security, c.url, c.userAgent, c.evidence);
      // Sealed: only the investigator's private key opens it; the store never sees it in clear.
      if (deps.sealTo !== undefined && ip !== undefined)
        record.security.sealedIp = seal(ip.address, deps.sealTo, record.id);
      const securityIp = securityIpOf(ip, deps);
      if (securityIp !== undefined) record.security.ip = securityIp;
    }
    expiryOf(record, c.startMs, deps.compiled, state);
    // Last: the chain hash covers the finished record.
    if (record.security !== undefined) deps.chain?.link(record);
    return record;
  };
}
