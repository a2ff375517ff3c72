import type { AccessRecord } from '../record.js';
import { SECURITY_HOLD_PREFIX } from '../security/api.js';
import type { ConsentEvent } from '../stores/consent-events.js';
import { isHeld, matchesHoldScope } from '../stores/hold-scope.js';
import {
  compareRecords,
  matchesSubject,
  normalizeAddress,
  normalizeEmail,
} from '../stores/retention.js';
import { eraseBufferedOf } from '../stores/spill-options.js';
import type { Hold, Store, Subject } from '../stores/store.js';
import { refuseAddress } from './address-subjects.js';
import { Deadline } from './deadline.js';
import { eraseCounts, type NamedStore, type StoreSet } from './store-set.js';
import { consentQueryOf, mergeConsents, storeConsents } from './subject-consents.js';

/**
 * Whose data: the visitor id of the analytics cookie, an e-mail given as optional data, or a
 * client address where the policy keeps full addresses (elsewhere a `SubjectRefusedError`).
 */
export type SubjectKey = Subject;

/** One record of an export: where it is kept, and whether a legal hold keeps it from erasure. */
export interface ExportedRecord {
  /** The stores that keep this record (the same id in several stores is listed once). */
  stores: string[];
  /** True when a legal hold covers it in some store: an erasure leaves it in place. */
  held: boolean;
  record: AccessRecord;
}

/** A store that could not take part in an export or erasure: it failed, or did not answer in time. */
export interface UnavailableStore {
  store: string;
  /** The store's error message, or `no answer within N ms`. For the operator, not for visitors. */
  reason: string;
}

/** A subject access export (GDPR Arts. 15 and 20): every record of the subject, oldest first. */
export interface SubjectExport {
  /** ISO time the export was made. */
  exportedAt: string;
  records: ExportedRecord[];
  /** How many of `records` are held. */
  held: number;
  /** Stores that keep records but cannot be read, so the export cannot include theirs. */
  unreadable: string[];
  /** Stores that can be read but could not be now: the export lacks what they keep. */
  unavailable: UnavailableStore[];
  /**
   * The subject's consent events (the consent ledger), oldest first, from every store that keeps
   * them. Only a visitor id names a subject in the ledger; other subjects have none.
   */
  consents: ConsentEvent[];
}

/** What an erasure did across the stores. */
export interface SubjectErasure {
  /**
   * Distinct records deleted: a record kept in two stores counts once. Counted by id in the
   * stores that can be read; a store that cannot only says how many, and the total is then at
   * least its count.
   */
  erased: number;
  /** Distinct records of the subject kept under legal hold, counted like `erased`. */
  held: number;
  /**
   * Of `held`, the records the subject may be told about: those kept under an ordinary legal
   * hold. Security evidence (a flagged record, or one under a hold `logger.security.flag`
   * placed) is left out: telling the person investigated how many records are kept would tip
   * them off. A store that cannot be read cannot tell the two apart and adds nothing here.
   */
  visibleHeld: number;
  /** Per store that could erase: what it deleted and kept. */
  stores: { store: string; erased: number; held: number }[];
  /** Stores that cannot erase (append-only logs): what they keep about the subject stays. */
  unsupported: string[];
  /**
   * Of `unsupported`, the stores that recorded the request: they keep the records until their log
   * is rotated or deleted, but never serve them again (not in exports, not in `my-data`).
   */
  recorded: string[];
  /** Stores that can erase but failed or did not answer in time: repeat the erasure later. */
  unavailable: UnavailableStore[];
  /**
   * Records of the subject erased before they reached a store that was down: still in the
   * logger's buffer or its disk spill (summed over the stores). Present only when some were.
   */
  buffered?: number;
}

/** Options of a subject request. */
export interface SubjectRequestOptions {
  /**
   * Longest wait in ms for the stores, flushing included; a store not done by then is named in
   * `unavailable` (its call may still finish later). Default 30 000 for `logger.subjects`.
   */
  timeoutMs?: number;
}

/** `logger.subjects`: the operator's side of access and erasure requests. */
export interface SubjectsApi {
  /** Every record of a subject from every readable store, flushed first. */
  export(key: SubjectKey, options?: SubjectRequestOptions): Promise<SubjectExport>;
  /** Erase a subject's records in every store that can; held ones stay and are counted. */
  erase(key: SubjectKey, options?: SubjectRequestOptions): Promise<SubjectErasure>;
}

/**
 * Write out what is buffered for the named stores, waiting at most `timeoutMs`. The dispatcher's
 * per-store flush: a request that reads one store has no business waiting for another's retries.
 */
export type FlushStores = (stores: readonly string[], timeoutMs: number) => Promise<unknown>;

/**
 * The subjects API over a set of stores. Each store is first flushed (so that records captured
 * just before the request, the page with the "erase my data" button say, are included), then
 * read or erased; the stores run side by side, all within one deadline (`timeoutMs`, default
 * none here; the logger passes its own).
 */
export function createSubjectsApi(
  set: StoreSet,
  flush: FlushStores,
  clock: () => Date,
  defaults: SubjectRequestOptions = {},
  addressRefusal?: string,
): SubjectsApi {
  /** Run `work` in every store of `entries` within one deadline, after flushing that store. */
  const eachStore = async <T>(
    entries: readonly NamedStore[],
    options: SubjectRequestOptions | undefined,
    work: (entry: NamedStore, deadline: Deadline) => Promise<T>,
  ): Promise<{ done: { entry: NamedStore; value: T }[]; unavailable: UnavailableStore[] }> => {
    if (set.closed) throw new Error('the logger is closed');
    const deadline = new Deadline(options?.timeoutMs ?? defaults.timeoutMs ?? Infinity);
    try {
      const outcomes = await Promise.all(
        entries.map((entry) =>
          deadline.run(async () => {
            await flush([entry.name], deadline.remaining());
            if (deadline.passed) throw new Error('flush did not finish in time');
            return work(entry, deadline);
          }),
        ),
      );
      const done: { entry: NamedStore; value: T }[] = [];
      const unavailable: UnavailableStore[] = [];
      outcomes.forEach((outcome, i) => {
        const entry = entries[i]!;
        if (outcome.ok) done.push({ entry, value: outcome.value });
        else unavailable.push({ store: entry.name, reason: outcome.reason });
      });
      return { done, unavailable };
    } finally {
      deadline.dispose();
    }
  };

  /** Erasures asked of this API, for stores that can neither erase nor record them. */
  const forgotten: { subject: Subject; at: number }[] = [];
  /** Whether an earlier erasure covers a record that a store unable to erase still serves. */
  const erasedBefore = (entry: NamedStore, record: AccessRecord): boolean => {
    if (typeof entry.store.erase === 'function' || typeof entry.store.suppress === 'function') {
      return false;
    }
    const time = Date.parse(record.time);
    return forgotten.some(
      ({ subject, at }) => (Number.isNaN(time) || time <= at) && matchesSubject(record, subject),
    );
  };

  return {
    async export(key, options) {
      const subject = checkKey(key);
      refuseAddress(subject, addressRefusal);
      const { done, unavailable } = await eachStore(
        set.with('read'),
        options,
        async (entry, deadline) => {
          const found: { held: boolean; record: AccessRecord }[] = [];
          for await (const item of storeRecords(set, entry, subject, deadline.signal)) {
            if (!erasedBefore(entry, item.record)) found.push(item);
          }
          const query = consentQueryOf(subject);
          const consents =
            query === undefined ? [] : await storeConsents(set, entry, query, deadline.signal);
          return { found, consents };
        },
      );
      const byId = new Map<string, ExportedRecord>();
      for (const { entry, value } of done) {
        for (const { held, record } of value.found) {
          const known = byId.get(record.id);
          if (known === undefined) byId.set(record.id, { stores: [entry.name], held, record });
          else {
            known.stores.push(entry.name);
            known.held ||= held;
          }
        }
      }
      const records = [...byId.values()].sort((a, b) => compareRecords(a.record, b.record));
      return {
        exportedAt: clock().toISOString(),
        records,
        held: records.filter((entry) => entry.held).length,
        unreadable: set
          .with()
          .filter(({ store }) => typeof store.read !== 'function')
          .map((entry) => entry.name),
        unavailable,
        consents: mergeConsents(done.map(({ value }) => value.consents)),
      };
    },

    async erase(key, options) {
      const subject = checkKey(key);
      refuseAddress(subject, addressRefusal);
      const at = clock();
      const entries = set.stores.filter(
        ({ store }) => typeof store.erase === 'function' || typeof store.suppress === 'function',
      );
      // First what is still on its way to a store that is down (in memory or in its disk spill):
      // the store cannot erase what it has not received, and its flush below may not finish.
      const buffered = await eraseBuffered(set.stores, subject);
      const { done, unavailable } = await eachStore(entries, options, (entry, deadline) =>
        set.use(
          entry,
          async (store): Promise<StoreErasure | 'recorded'> => {
            // Started past the deadline, an erasure would no longer be reported: leave it for the
            // repeated request.
            if (deadline.passed) throw new Error('no time left to erase');
            if (typeof store.erase !== 'function') {
              await store.suppress!(subject, at);
              return 'recorded';
            }
            return eraseIn(store, subject);
          },
          deadline.signal,
        ),
      );
      const erasedIds = new Set<string>();
      const heldIds = new Set<string>();
      const visibleIds = new Set<string>();
      let erased = 0;
      let held = 0;
      const stores: SubjectErasure['stores'] = [];
      const recorded: string[] = [];
      for (const { entry, value } of done) {
        if (value === 'recorded') {
          recorded.push(entry.name);
          continue;
        }
        stores.push({ store: entry.name, ...value.counts });
        for (const id of value.erasedIds) erasedIds.add(id);
        for (const id of value.heldIds) heldIds.add(id);
        for (const id of value.visibleHeldIds) visibleIds.add(id);
        erased = Math.max(erased, value.counts.erased);
        held = Math.max(held, value.counts.held);
      }
      // A readable store that can neither erase nor record the request is filtered here, for as
      // long as this process lives.
      forgotten.push({ subject, at: at.getTime() });
      return {
        erased: Math.max(erased, erasedIds.size),
        held: Math.max(held, heldIds.size),
        visibleHeld: visibleIds.size,
        stores,
        unsupported: set
          .with()
          .filter(({ store }) => typeof store.erase !== 'function')
          .map((entry) => entry.name),
        recorded,
        unavailable,
        ...(buffered > 0 ? { buffered } : {}),
      };
    },
  };
}

/** Erase a subject's records that the logger still holds for its stores; how many went. */
async function eraseBuffered(entries: readonly NamedStore[], subject: Subject): Promise<number> {
  const counts = await Promise.all(
    entries.map(async ({ store }) => {
      const erase = (store as { [eraseBufferedOf]?: (s: Subject) => Promise<number> })[
        eraseBufferedOf
      ];
      return typeof erase === 'function' ? erase(subject).catch(() => 0) : 0;
    }),
  );
  return counts.reduce((sum, n) => sum + n, 0);
}

/** What one store's erasure did, with the ids it erased and kept when the store can be read. */
interface StoreErasure {
  counts: { erased: number; held: number };
  erasedIds: readonly string[];
  heldIds: readonly string[];
  /** Of `heldIds`, those that are not security evidence. */
  visibleHeldIds: readonly string[];
}

/**
 * Erase in one store. A store that can be read is read before and after, so that the records it
 * erased and kept are known by id: the same record in two stores must count once.
 */
async function eraseIn(store: Store, subject: Subject): Promise<StoreErasure> {
  const before = typeof store.read === 'function' ? await idsOf(store, subject) : undefined;
  const answer = await store.erase!(subject);
  const counts = eraseCounts(answer);
  if (before === undefined) return { counts, erasedIds: [], heldIds: [], visibleHeldIds: [] };
  const securityHolds = ((await store.holds?.()) ?? []).filter((h) =>
    h.id.startsWith(SECURITY_HOLD_PREFIX),
  );
  const after = await idsOf(store, subject, securityHolds);
  const erasedIds = [...before.keys()].filter((id) => !after.has(id));
  const heldIds = [...before.keys()].filter((id) => after.has(id));
  const visibleHeldIds = heldIds.filter((id) => after.get(id) === false);
  // A store that answers with a bare count says nothing about held records: what is left of the
  // subject after an erasure is, by the contract, held.
  if (typeof answer === 'number') counts.held = heldIds.length;
  return { counts, erasedIds, heldIds, visibleHeldIds };
}

/** A subject's record ids, each with whether it is security evidence. */
async function idsOf(
  store: Store,
  subject: Subject,
  securityHolds: readonly Hold[] = [],
): Promise<Map<string, boolean>> {
  const ids = new Map<string, boolean>();
  for await (const record of store.read!({ subject }))
    ids.set(
      record.id,
      record.security !== undefined ||
        securityHolds.some((hold) => matchesHoldScope(record, hold.scope)),
    );
  return ids;
}

/**
 * Every record of a subject, store after store (a record kept in two stores comes twice), each
 * marked held or not. For exports too large to collect: the command line streams this.
 */
export async function* subjectRecords(
  set: StoreSet,
  subject: Subject,
): AsyncGenerator<{ store: string; held: boolean; record: AccessRecord }> {
  for (const entry of set.with('read')) {
    for await (const { held, record } of storeRecords(set, entry, subject)) {
      yield { store: entry.name, held, record };
    }
  }
}

/** Every record of a subject in one store, each marked held or not. */
async function* storeRecords(
  set: StoreSet,
  entry: NamedStore,
  subject: Subject,
  abandoned?: AbortSignal,
): AsyncGenerator<{ held: boolean; record: AccessRecord }> {
  const holds = await holdsOf(set, entry, abandoned);
  const records = await set.use(entry, (store) => store.read!({ subject }), abandoned);
  for await (const record of records) yield { held: isHeld(record, holds), record };
}

/** The holds of a store, or none when it has no holds; a store's flagged records count anyway. */
async function holdsOf(set: StoreSet, entry: NamedStore, abandoned?: AbortSignal): Promise<Hold[]> {
  if (typeof entry.store.holds !== 'function') return [];
  return set.use(entry, (store) => store.holds!(), abandoned);
}

/**
 * A subject key checked: exactly one of a non-empty visitor id, e-mail or client address (made
 * canonical: `::ffff:203.0.113.7` is `203.0.113.7`). An empty value would match nothing in the
 * stores; here it is a caller's mistake worth saying so.
 */
export function checkKey(key: unknown): Subject {
  if (key !== null && typeof key === 'object') {
    const { visitorId, email, ip } = key as { visitorId?: unknown; email?: unknown; ip?: unknown };
    const given = [visitorId, email, ip].filter((value) => value !== undefined).length;
    if (given === 1) {
      if (typeof visitorId === 'string' && visitorId !== '') return { visitorId };
      if (typeof email === 'string' && normalizeEmail(email) !== '') return { email };
      if (typeof ip === 'string') {
        const address = normalizeAddress(ip);
        if (address !== '') return { ip: address };
        throw new TypeError(`subject: ${JSON.stringify(ip.slice(0, 60))} is not an IP address`);
      }
    }
  }
  throw new TypeError('subject: must be { visitorId }, { email } or { ip } with a non-empty value');
}
