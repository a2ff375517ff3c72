import { describeError } from '../pipeline/store-call.js';
import type { AccessRecord } from '../record.js';
import { isHeld } from '../stores/hold-scope.js';
import { compareRecords, normalizeEmail } from '../stores/retention.js';
import type { Hold, Subject } from '../stores/store.js';
import { eraseCounts, type NamedStore, type StoreSet } from './store-set.js';

/** Whose data: the visitor id of the analytics cookie, or an e-mail given as optional data. */
export type SubjectKey = Subject;

/** One record of an export: where it is kept, and whether a legal hold keeps it from erasure. */
export interface ExportedRecord {
  /** The stores that keep this record (the same id in several stores is listed once). */
  stores: string[];
  /** True when a legal hold covers it in some store: an erasure leaves it in place. */
  held: boolean;
  record: AccessRecord;
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
}

/** What an erasure did across the stores. */
export interface SubjectErasure {
  /** Records deleted, over all stores. */
  erased: number;
  /** Records of the subject kept under legal hold, over all stores. */
  held: number;
  /** Per store that can erase. */
  stores: { store: string; erased: number; held: number }[];
  /** Stores that cannot erase (append-only logs): what they keep about the subject stays. */
  unsupported: string[];
}

/** `logger.subjects`: the operator's side of access and erasure requests. */
export interface SubjectsApi {
  /** Every record of a subject from every readable store, flushed first. */
  export(key: SubjectKey): Promise<SubjectExport>;
  /** Erase a subject's records in every store that can; held ones stay and are counted. */
  erase(key: SubjectKey): Promise<SubjectErasure>;
}

/**
 * The subjects API over a set of stores. `flush` is awaited first, so that records captured just
 * before the request (the page with the "erase my data" button, say) are included.
 */
export function createSubjectsApi(
  set: StoreSet,
  flush: () => Promise<void>,
  clock: () => Date,
): SubjectsApi {
  return {
    async export(key) {
      const subject = checkKey(key);
      await flush();
      const byId = new Map<string, ExportedRecord>();
      for await (const { store, held, record } of subjectRecords(set, subject)) {
        const known = byId.get(record.id);
        if (known === undefined) byId.set(record.id, { stores: [store], held, record });
        else {
          known.stores.push(store);
          known.held ||= held;
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
      };
    },

    async erase(key) {
      const subject = checkKey(key);
      await flush();
      const result: SubjectErasure = { erased: 0, held: 0, stores: [], unsupported: [] };
      const failed: string[] = [];
      for (const entry of set.with()) {
        if (typeof entry.store.erase !== 'function') {
          result.unsupported.push(entry.name);
          continue;
        }
        try {
          const counts = await set.use(entry, async (store) => {
            const answer = await store.erase!(subject);
            const counts = eraseCounts(answer);
            // A store that answers with a bare count says nothing about held records: what is left
            // of the subject after an erasure is, by the contract, held.
            if (typeof answer === 'number' && typeof store.read === 'function') {
              counts.held = 0;
              for await (const _ of store.read({ subject })) counts.held++;
            }
            return counts;
          });
          result.stores.push({ store: entry.name, ...counts });
          result.erased += counts.erased;
          result.held += counts.held;
        } catch (err) {
          failed.push(`${entry.name}: ${describeError(err)}`);
        }
      }
      if (failed.length > 0) {
        // The stores that did erase stay erased; the request can simply be repeated.
        throw new Error(`erasure failed in ${failed.join('; ')}`);
      }
      return result;
    },
  };
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
    const holds = await holdsOf(set, entry);
    const records = await set.use(entry, (store) => store.read!({ subject }));
    for await (const record of records) {
      yield { store: entry.name, held: isHeld(record, holds), record };
    }
  }
}

/** The holds of a store, or none when it has no holds; a store's flagged records count anyway. */
async function holdsOf(set: StoreSet, entry: NamedStore): Promise<Hold[]> {
  if (typeof entry.store.holds !== 'function') return [];
  return set.use(entry, (store) => store.holds!());
}

/**
 * A subject key checked: exactly one of a non-empty visitor id or e-mail. An empty value would
 * match nothing in the stores; here it is a caller's mistake worth saying so.
 */
export function checkKey(key: unknown): Subject {
  if (key !== null && typeof key === 'object') {
    const { visitorId, email } = key as { visitorId?: unknown; email?: unknown };
    if (typeof visitorId === 'string' && visitorId !== '' && email === undefined) {
      return { visitorId };
    }
    if (typeof email === 'string' && normalizeEmail(email) !== '' && visitorId === undefined) {
      return { email };
    }
  }
  throw new TypeError('subject: must be { visitorId } or { email } with a non-empty value');
}
