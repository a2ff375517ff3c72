import type { KeyObject } from 'node:crypto';
import type { GeoLookup } from './enrich/geo.js';
import { UserAgentParser } from './enrich/user-agent.js';
import { normalizeIp } from './minimize/ip.js';
import { RotatingKey } from './minimize/rotating-key.js';
import type { LookupPlan } from './pipeline/enrich-stage.js';
import {
  createProcessor,
  lookupAddress,
  lookupCacheKey,
  type PathHook,
} from './pipeline/process.js';
import { type CompiledPolicy, compilePolicy } from './policy/compile.js';
import type { DefinedPolicy } from './policy/define.js';
import { DAY_MS } from './policy/duration.js';
import { NoticeInForce } from './privacy/consent-ledger.js';
import { renderNotice } from './privacy/notice/notice.js';
import type { AccessRecord } from './record.js';
import type { Captured } from './request/capture.js';
import { CookieJar } from './request/cookie-jar.js';
import { Decider } from './request/decide.js';
import type { HandleContext } from './request/handle.js';
import { SecurityChain } from './security/chain.js';
import { createDetection, type DetectHook } from './security/detectors.js';
import { investigatorPublicKey } from './security/seal.js';

/** What every policy's runtime shares. */
export interface RuntimeShared {
  secrets: readonly string[];
  geo: () => GeoLookup | undefined;
  userAgentCacheSize: number;
  redactPath: PathHook | undefined;
  onHookError: (err: unknown) => void;
  onIncidentWithoutCategory: () => void;
  /** Security investigations: the app's own detector, and where its errors go. */
  detect?: DetectHook | undefined;
  onDetectError?: ((err: unknown) => void) | undefined;
  /** The Ed25519 key that signs checkpoints of the security chain, and how often. */
  signingKey?: KeyObject | string | undefined;
  checkpointEvery?: number | undefined;
  /** The investigator's public key for sealed addresses. */
  investigatorKey?: KeyObject | string | undefined;
}

/**
 * Everything one policy needs at request time and after: its compiled form, decisions, cookies,
 * keys and processor. A regional policy has one runtime per policy, so each keeps its own state
 * (cookie names, keys, caches) and records name the policy that decided them.
 */
export interface PolicyRuntime {
  readonly compiled: CompiledPolicy;
  readonly decider: Decider;
  readonly jar: CookieJar;
  readonly handleContext: HandleContext;
  readonly process: (c: Captured) => AccessRecord;
  /** The notice in force, whose hash each consent event carries. */
  readonly notice: NoticeInForce;
  /** The reverse-DNS and company lookups a finished request needs, or undefined. */
  readonly plan: (c: Captured) => LookupPlan | undefined;
  /** True when the policy skips bots and this request came from one. */
  readonly skip: (c: Captured) => boolean;
  /** Destroy the keys: after the last record is processed. */
  close(): void;
}

function sealKeyOf(
  compiled: CompiledPolicy,
  key: KeyObject | string | undefined,
): KeyObject | undefined {
  if (compiled.securityIp !== 'sealed') return undefined;
  if (key === undefined)
    throw new TypeError(
      "categories.security.ip 'sealed' needs security.investigatorKey (an X25519 public key) in the options",
    );
  return investigatorPublicKey(key);
}

export function createRuntime(policy: DefinedPolicy, shared: RuntimeShared): PolicyRuntime {
  const compiled = compilePolicy(policy);
  const client = policy.categories.client;
  const ipKey =
    client?.ip.mode === 'hash' ? new RotatingKey({ periodMs: compiled.keyRotationMs }) : undefined;
  const visitorKey =
    compiled.visitor === 'daily-hash' ? new RotatingKey({ periodMs: DAY_MS }) : undefined;
  const securityKey =
    compiled.securityIp === 'prefix-preserving'
      ? new RotatingKey({ periodMs: compiled.keyRotationMs })
      : undefined;
  const userAgents = new UserAgentParser({ cacheSize: shared.userAgentCacheSize });
  const process = createProcessor({
    compiled,
    userAgents,
    geo: shared.geo,
    ipKey,
    visitorKey,
    securityKey,
    redactPath: shared.redactPath,
    onHookError: shared.onHookError,
    detection: policy.categories.security
      ? createDetection(policy.categories.security.detect, shared.detect, (err) =>
          shared.onDetectError?.(err),
        )
      : undefined,
    sealTo: sealKeyOf(compiled, shared.investigatorKey),
    chain: policy.categories.security
      ? new SecurityChain(shared.signingKey, shared.checkpointEvery ?? 1)
      : undefined,
  });
  const lookups = compiled.domain || compiled.company;
  // Lookup answers may be cached by address only when the record keeps that address anyway.
  const cacheable =
    policy.categories.client !== undefined &&
    lookupCacheKey(policy.categories.client) !== undefined;
  return {
    compiled,
    decider: new Decider(compiled),
    jar: new CookieJar(compiled, shared.secrets),
    handleContext: {
      optionalFields: compiled.optionalFields,
      optionalMaxLength: policy.categories.optional?.maxLength ?? 0,
      hasSecurity: policy.categories.security !== undefined,
      onIncidentWithoutCategory: shared.onIncidentWithoutCategory,
    },
    process,
    notice: new NoticeInForce(() =>
      renderNotice(policy, {
        site: 'this site',
        contact: policy.notice.contact ?? 'the operator of this site',
        ...(policy.notice.controller === undefined ? {} : { controller: policy.notice.controller }),
        format: 'markdown',
      }),
    ),
    plan: (c) => {
      // An objection (GPC, DNT, opt-out) allows no lookup beyond what the essential category needs.
      if (!lookups || !c.decision.enrich || !c.decision.categories.includes('client')) return;
      const ip = normalizeIp(c.ip);
      if (ip === undefined) return undefined;
      return {
        address: lookupAddress(ip, compiled),
        domain: compiled.domain,
        company: compiled.company,
        cacheable,
      };
    },
    // The parse is cached and reused by the processor, so skipping costs no second parse.
    skip: (c) => compiled.skipBots && userAgents.parse(c.userAgent, c.hints).bot,
    close: () => {
      ipKey?.close();
      visitorKey?.close();
      securityKey?.close();
    },
  };
}
