import type { ClientHintHeaders } from '../enrich/client-hints.js';
import type { ConsentNote } from '../privacy/consent-ledger.js';
import type { CapturedEvidence } from '../security/evidence.js';
import { evidenceSize } from '../security/evidence.js';
import type { Decision } from './decide.js';

/**
 * What the request path keeps of one request: references to header strings and a few numbers.
 * Everything else (parsing, minimising, enriching) happens after the response, in the background.
 */
export interface Captured {
  /** Wall-clock start, ms since the epoch (the record's `time`). */
  startMs: number;
  /** Monotonic start (`performance.now()`), for the duration. */
  startPerf: number;
  method: string;
  url: string;
  /** `req.ip` as Express computed it under `trust proxy`; raw, never stored as is unless `ip: 'full'`. */
  ip: string | undefined;
  /**
   * In worker mode, what `ip` is resolved from off the serving thread: the socket's address, the
   * `X-Forwarded-For` header and the index of the app's `trust proxy` setting. Absent (and `trust`
   * undefined) when `ip` was read from `req.ip`.
   */
  remoteAddress?: string | undefined;
  forwardedFor?: string | undefined;
  trust?: number | undefined;
  host: string | undefined;
  userAgent: string | undefined;
  /** Only captured when the decision allows a referrer. */
  referer: string | undefined;
  decision: Decision;
  /** The analytics cookie's id, when the decision allows it. */
  visitorId: string | undefined;
  /** Fields the app handed over and the policy declares (null prototype). */
  optional: Record<string, string> | undefined;
  incidents: string[] | undefined;
  status: number;
  durationMs: number;
  bytes: number | undefined;
  aborted: boolean;
  route: string | undefined;
  /** User-Agent client hints, when the policy parses the User-Agent and the browser sent them. */
  hints?: ClientHintHeaders | undefined;
  /** Reverse-DNS domain and company, filled after the response by the enrichment stage. */
  network?: { domain?: string; company?: string } | undefined;
  /** Security investigations: kept only when the policy has a security category. */
  evidence?: CapturedEvidence | undefined;
  /** A change of the visitor's choice made by this request, for the consent ledger. */
  consent?: ConsentNote | undefined;
}

/** A rough byte count of a captured request, for the queue's byte bound. */
export function capturedSize(c: Captured): number {
  let size = 200 + c.url.length + (c.userAgent?.length ?? 0) + (c.referer?.length ?? 0);
  if (c.hints) size += c.hints.ua.length + (c.hints.fullVersionList?.length ?? 0) + 64;
  size += evidenceSize(c.evidence);
  if (c.optional) for (const key in c.optional) size += key.length + c.optional[key]!.length;
  return size * 2;
}
