import type { ClientHintHeaders } from '../enrich/client-hints.js';
import type { ConsentNote } from '../privacy/consent-ledger.js';
import type { Captured } from '../request/capture.js';
import type { Decision } from '../request/decide.js';
import { type CapturedEvidence, keepPortOfClient, portableEvidence } from '../security/evidence.js';
import type { TrustSetting } from './client-address.js';
import type { BatchMessage, TableUpdate } from './protocol.js';

/**
 * The compact form in which finished requests cross to the worker. A request is a row of numbers
 * in a Float64Array (moved to the worker, not copied) and a row of strings in a plain array; the
 * rare parts (optional fields, incident reasons, client hints) go in a side list. Decisions, of
 * which a policy has at most a few dozen, cross once and are named by index afterwards. Measured by
 * `bench/worker-handover.js`: about half a microsecond of the serving thread per request, against
 * about one for a structured clone of the captured object.
 */

/** Numbers per request: start, trust setting, decision, status, duration, bytes, aborted. */
const NUMBERS = 7;
/** Strings per request, in {@link encode}'s order. */
const STRINGS = 10;

/** Encodes finished requests into batches; one per logger, on the serving thread. */
export class SnapshotWriter {
  readonly #capacity: number;
  readonly #numbers: Float64Array;
  #strings: (string | undefined)[] = [];
  #extras: unknown[] = [];
  #count = 0;
  /** Every decision seen, by index; the worker keeps the same table. */
  readonly decisions: Decision[] = [];
  readonly #decisionIds = new Map<Decision, number>();
  #decisionsSent = 0;
  /** The trust settings, by index (the serving thread's `TrustSettings.table`). */
  readonly #trusts: readonly TrustSetting[];
  #trustsSent = 0;
  #lastDecision: Decision | undefined;
  #lastDecisionId = -1;

  /**
   * @param capacity requests per batch.
   * @param trusts the table the requests' trust indexes point into; it may grow.
   */
  constructor(capacity: number, trusts: readonly TrustSetting[]) {
    this.#capacity = capacity;
    this.#trusts = trusts;
    this.#numbers = new Float64Array(capacity * NUMBERS);
  }

  /** Requests encoded and not yet taken. */
  get count(): number {
    return this.#count;
  }

  /** True when the batch is full and should be taken. */
  get full(): boolean {
    return this.#count >= this.#capacity;
  }

  /** Encode one finished request. Never throws for what a request can hold. */
  push(c: Captured): void {
    const row = this.#count * NUMBERS;
    const n = this.#numbers;
    n[row] = c.startMs;
    n[row + 1] = c.trust ?? -1;
    n[row + 2] = this.#decisionId(c.decision);
    n[row + 3] = c.status;
    n[row + 4] = c.durationMs;
    n[row + 5] = c.bytes ?? Number.NaN;
    n[row + 6] = c.aborted ? 1 : 0;
    this.#strings.push(
      c.method,
      c.url,
      c.ip,
      c.remoteAddress,
      c.forwardedFor,
      c.host,
      c.userAgent,
      c.referer,
      c.visitorId,
      c.route,
    );
    if (
      c.optional !== undefined ||
      c.incidents !== undefined ||
      c.hints !== undefined ||
      c.evidence !== undefined ||
      c.consent !== undefined
    ) {
      // Security evidence (the allow-listed header strings and two numbers) is cloned with the
      // batch: the worker decides whether the request is flagged and so whether any of it is kept.
      this.#extras.push(
        this.#count,
        flatOptional(c.optional),
        c.incidents,
        flatHints(c.hints),
        c.evidence === undefined ? undefined : portableEvidence(c.evidence),
        c.consent,
      );
    }
    this.#count++;
  }

  /** The batch so far, to post (its numbers are transferred), or undefined when empty. */
  take(): BatchMessage | undefined {
    if (this.#count === 0) return undefined;
    const message: BatchMessage = {
      t: 'batch',
      count: this.#count,
      // A copy of the rows used, moved to the worker: at low traffic a batch holds a request or
      // two, and a full-size buffer per batch cost more than the copy. The buffer here is reused.
      numbers: this.#numbers.slice(0, this.#count * NUMBERS),
      strings: this.#strings,
      extras: this.#extras,
      decisions: update(this.decisions, this.#decisionsSent),
      trusts: update(this.#trusts, this.#trustsSent),
    };
    this.#decisionsSent = this.decisions.length;
    this.#trustsSent = this.#trusts.length;
    this.#strings = [];
    this.#extras = [];
    this.#count = 0;
    return message;
  }

  #decisionId(decision: Decision): number {
    // Nearly every request carries the same decision as the one before.
    if (decision === this.#lastDecision) return this.#lastDecisionId;
    let id = this.#decisionIds.get(decision);
    if (id === undefined) {
      id = this.decisions.length;
      this.decisions.push(decision);
      this.#decisionIds.set(decision, id);
    }
    this.#lastDecision = decision;
    this.#lastDecisionId = id;
    return id;
  }
}

function update<T>(table: readonly T[], sent: number): TableUpdate<T> | undefined {
  return table.length > sent ? { from: sent, list: table.slice(sent) } : undefined;
}

function flatOptional(optional: Record<string, string> | undefined): string[] | undefined {
  if (optional === undefined) return undefined;
  const flat: string[] = [];
  for (const key of Object.keys(optional)) flat.push(key, optional[key]!);
  return flat;
}

function flatHints(hints: ClientHintHeaders | undefined): (string | undefined)[] | undefined {
  if (hints === undefined) return undefined;
  return [hints.ua, hints.mobile, hints.platform, hints.platformVersion, hints.fullVersionList];
}

/** What decoding needs: the tables, kept up to date by {@link applyTables}. */
export interface DecodeTables {
  readonly decisions: Decision[];
  /** Resolve a socket address and `X-Forwarded-For` under the trust setting of this index. */
  readonly resolve: (
    trust: number,
    remoteAddress: string | undefined,
    forwardedFor: string | undefined,
  ) => string | undefined;
}

/** Take in the table entries a batch carries (idempotent: entries are set by index). */
export function applyTables<T>(table: T[], update: TableUpdate<T> | undefined): void {
  if (update === undefined) return;
  update.list.forEach((entry, i) => {
    table[update.from + i] = entry;
  });
}

/**
 * Decode a batch into captured requests, one at a time, for `sink`. A row that cannot be decoded
 * (an unknown decision) is passed to `invalid` instead.
 */
export function decodeBatch(
  batch: BatchMessage,
  tables: DecodeTables,
  sink: (c: Captured) => void,
  invalid: () => void,
): void {
  const { numbers: n, strings: s, extras } = batch;
  let extra = 0;
  for (let i = 0; i < batch.count; i++) {
    const row = i * NUMBERS;
    const col = i * STRINGS;
    const decision = tables.decisions[n[row + 2]!];
    const hasExtra = extras[extra] === i;
    const optional = hasExtra ? (extras[extra + 1] as string[] | undefined) : undefined;
    const incidents = hasExtra ? (extras[extra + 2] as string[] | undefined) : undefined;
    const hints = hasExtra ? (extras[extra + 3] as (string | undefined)[] | undefined) : undefined;
    const evidence = hasExtra ? (extras[extra + 4] as CapturedEvidence | undefined) : undefined;
    const consent = hasExtra ? (extras[extra + 5] as ConsentNote | undefined) : undefined;
    if (hasExtra) extra += 6;
    if (decision === undefined) {
      invalid();
      continue;
    }
    const trust = n[row + 1]!;
    const remoteAddress = s[col + 3];
    const forwardedFor = s[col + 4];
    const bytes = n[row + 5]!;
    const ip = trust < 0 ? s[col + 2] : tables.resolve(trust, remoteAddress, forwardedFor);
    if (evidence !== undefined && trust >= 0) keepPortOfClient(evidence, remoteAddress, ip);
    sink({
      startMs: n[row]!,
      startPerf: 0,
      method: s[col] ?? '',
      url: s[col + 1] ?? '',
      ip,
      host: s[col + 5],
      userAgent: s[col + 6],
      referer: s[col + 7],
      decision,
      visitorId: s[col + 8],
      optional: optional === undefined ? undefined : unflatOptional(optional),
      incidents,
      status: n[row + 3]!,
      durationMs: n[row + 4]!,
      bytes: Number.isNaN(bytes) ? undefined : bytes,
      aborted: n[row + 6] === 1,
      route: s[col + 9],
      hints: hints === undefined ? undefined : unflatHints(hints),
      evidence,
      consent,
    });
  }
}

function unflatOptional(flat: readonly string[]): Record<string, string> {
  // Null prototype, as on the serving thread: a field named `__proto__` stays a field.
  const out = Object.create(null) as Record<string, string>;
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

function unflatHints(flat: readonly (string | undefined)[]): ClientHintHeaders | undefined {
  const ua = flat[0];
  if (typeof ua !== 'string') return undefined;
  return {
    ua,
    mobile: flat[1],
    platform: flat[2],
    platformVersion: flat[3],
    fullVersionList: flat[4],
  };
}
