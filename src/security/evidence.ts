import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { cleanText } from '../minimize/text.js';
import type { SecurityInfo } from '../record.js';

/**
 * Request headers a flagged record may keep. An allow-list, so that a credential in a header the
 * list does not name is never stored: `Cookie`, `Authorization` and `Proxy-Authorization` are
 * never on it, nor the forwarding headers that carry addresses in clear.
 */
export const EVIDENCE_HEADERS = [
  'host',
  'accept',
  'accept-language',
  'accept-encoding',
  'content-type',
  'content-length',
  'origin',
  'referer',
  'x-requested-with',
  'sec-fetch-site',
  'sec-fetch-mode',
  'sec-fetch-dest',
  'upgrade-insecure-requests',
  'connection',
  'te',
  'via',
] as const;

/**
 * What the request path keeps for a possible investigation: a reference to the headers object
 * Node already parsed, the HTTP version string, and the source port. No header is read or copied
 * here; the background stage picks the allow-listed ones only when the request is flagged, and
 * drops the reference otherwise. Across the worker boundary it travels as
 * {@link PortableEvidence} instead.
 */
export type CapturedEvidence = LiveEvidence | PortableEvidence;

/** Evidence on the thread that served the request. */
export interface LiveEvidence {
  httpVersion: string;
  /** The TCP peer's source port, only when that peer is the client (no proxy hop in between). */
  port: number | undefined;
  /** The request's own headers object. */
  headers: IncomingHttpHeaders;
}

/**
 * Evidence as it crosses to the worker: one flat list, `[httpVersion, port, sent, ...values]`,
 * where bit i of `sent` says that the i-th header of {@link EVIDENCE_HEADERS} was sent and the
 * values of the headers sent follow in that order. A list of strings and numbers is what
 * structured clone copies most cheaply, for every request, though few are ever flagged.
 */
export type PortableEvidence = [string, number | undefined, number, ...string[]];

const PORT = 1;
const SENT = 2;

const isPortable = (e: CapturedEvidence): e is PortableEvidence => Array.isArray(e);

/**
 * Take the evidence of one request on entry; `ip` is `req.ip` as Express computed it. The headers
 * are kept by reference: nothing is copied unless the request is flagged. With `resolvedLater`
 * (worker mode: the worker resolves the address), the port is kept for now and
 * {@link keepPortOfClient} drops it once the address is known.
 */
export function captureEvidence(
  req: IncomingMessage,
  ip: string | undefined,
  resolvedLater = false,
): LiveEvidence {
  const socket = req.socket;
  return {
    httpVersion: req.httpVersion,
    // Behind a proxy the socket's port is the proxy's, which says nothing about the client.
    port:
      socket !== undefined && (resolvedLater || socket.remoteAddress === ip)
        ? socket.remotePort
        : undefined,
    headers: req.headers,
  };
}

/**
 * Evidence taken with `resolvedLater`, once the client address is resolved: the port stays only if
 * the TCP peer (`remoteAddress`) is the client itself, as {@link captureEvidence} decides on entry.
 */
export function keepPortOfClient(
  evidence: CapturedEvidence,
  remoteAddress: string | undefined,
  ip: string | undefined,
): void {
  if (remoteAddress === ip) return;
  if (isPortable(evidence)) evidence[PORT] = undefined;
  else evidence.port = undefined;
}

/**
 * The allow-listed headers alone, for evidence that leaves this thread: the worker must never be
 * handed `Cookie` or `Authorization`, even in memory.
 */
export function portableEvidence(e: CapturedEvidence): PortableEvidence {
  if (isPortable(e)) return e;
  const source = e.headers;
  // One pass over the headers the request has, instead of a read of each allow-listed name: a
  // headers object's shape depends on which headers came in which order, so reads by name miss
  // V8's caches on most requests, and most of the names are absent, the dearest miss of all.
  const found = scratch;
  let sent = 0;
  for (const name in source) {
    const i = EVIDENCE_INDEX.get(name);
    if (i === undefined) continue;
    const value = source[name];
    if (typeof value !== 'string') continue;
    found[i] = value;
    sent |= 1 << i;
  }
  const out: PortableEvidence = [e.httpVersion, e.port, sent];
  for (let i = 0; sent !== 0; i++, sent >>>= 1) {
    if ((sent & 1) === 0) continue;
    out.push(found[i]!);
    found[i] = undefined;
  }
  return out;
}

/** The position of each allow-listed header in {@link EVIDENCE_HEADERS}. */
const EVIDENCE_INDEX: ReadonlyMap<string, number> = new Map(EVIDENCE_HEADERS.map((h, i) => [h, i]));
/** Values found by {@link portableEvidence}, by position; emptied before it returns. */
const scratch: (string | undefined)[] = EVIDENCE_HEADERS.map(() => undefined);

/** The allow-listed headers of captured evidence, in {@link EVIDENCE_HEADERS} order. */
function evidenceValues(e: CapturedEvidence): unknown[] {
  if (!isPortable(e)) return EVIDENCE_HEADERS.map((name) => e.headers[name]);
  const sent = e[SENT];
  let next = SENT + 1;
  return EVIDENCE_HEADERS.map((_, i) => ((sent & (1 << i)) === 0 ? undefined : e[next++]));
}

/**
 * What evidence adds to the queue's byte bound: a fixed estimate, since measuring it would read
 * every header of every request. The reference lives only until the background stage has
 * processed the request, a few milliseconds; Node bounds the headers themselves (16 KB by default).
 */
export const EVIDENCE_BYTES = 512;

/** A rough byte count of captured evidence, for the queue's byte bound. */
export function evidenceSize(e: CapturedEvidence | undefined): number {
  return e === undefined ? 0 : EVIDENCE_BYTES;
}

const MAX_TARGET = 16 * 1024;
const MAX_HEADER = 2048;
const MAX_USER_AGENT = 2048;

/**
 * Write what an investigation needs into a flagged record's security category: the full request
 * target with its query, the raw User-Agent, the allow-listed headers, the HTTP version and the
 * source port. Only flagged records get this; every other record is minimised as always.
 */
export function addEvidence(
  security: SecurityInfo,
  target: string,
  userAgent: string | undefined,
  evidence: CapturedEvidence | undefined,
): void {
  security.target = cleanText(target, MAX_TARGET);
  if (userAgent !== undefined) security.userAgent = cleanText(userAgent, MAX_USER_AGENT);
  if (evidence === undefined) return;
  const portable = isPortable(evidence);
  const httpVersion = portable ? evidence[0] : evidence.httpVersion;
  const port = portable ? evidence[PORT] : evidence.port;
  security.httpVersion = cleanText(httpVersion, 8);
  if (port !== undefined) security.port = port;
  const headers: Record<string, string> = {};
  let any = false;
  const values = evidenceValues(evidence);
  for (let i = 0; i < EVIDENCE_HEADERS.length; i++) {
    const value = values[i];
    if (typeof value === 'string') {
      headers[EVIDENCE_HEADERS[i]!] = cleanText(value, MAX_HEADER);
      any = true;
    }
  }
  if (any) security.headers = headers;
}
