import type { AccessRecord } from '../../record.js';
import {
  type ConsentEvent,
  type ConsentQuery,
  compareConsentEvents,
  isConsentHeld,
  matchesConsentQuery,
} from '../consent-events.js';
import { normalizeDisclosure } from '../disclosure.js';
import { isHeld, matchesHoldScope, normalizeHold } from '../hold-scope.js';
import { parseJsonBatch, writeJsonBatch } from '../json-batches.js';
import {
  applyRetention,
  compareRecords,
  countOutcome,
  emptyPurgeResult,
  matchesQuery,
  matchesSubject,
} from '../retention.js';
import type {
  Disclosure,
  EraseResult,
  Hold,
  PurgeResult,
  ReadQuery,
  Store,
  Subject,
} from '../store.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Name for stats and diagnostics. Default `'MemoryStore'`. */
  name?: string;
}

/**
 * A store that keeps records in process memory: for tests, demos and short-lived tools. Nothing
 * survives a restart and nothing bounds its size, so it is not meant for production traffic.
 *
 * Records are deep-copied on the way in and out, so neither the pipeline nor a reader can change
 * what is stored by mutating its own objects.
 */
export class MemoryStore implements Store {
  /** Name for stats and diagnostics. */
  readonly name: string;
  #records: AccessRecord[] = [];
  #indexById = new Map<string, number>();
  #holds = new Map<string, Hold>();
  #disclosures: Disclosure[] = [];
  #consents = new Map<string, ConsentEvent>();
  /** Batches handed over as JSON text (worker mode), taken in before anything reads the records. */
  #pending: string[] = [];

  /** @param options see {@link MemoryStoreOptions}; all optional. */
  constructor(options: MemoryStoreOptions = {}) {
    this.name = options.name ?? 'MemoryStore';
  }

  /**
   * The stored records in write order (not sorted by time), for assertions and demos. The array
   * is the store's own, typed read-only: treat it and its records as a view, not a copy.
   */
  get records(): readonly AccessRecord[] {
    this.#takePending();
    return this.#records;
  }

  /** Append a batch. A record whose id is already stored is ignored (the first write wins). */
  async write(records: readonly AccessRecord[]): Promise<void> {
    this.#takePending();
    for (const record of records) this.#append(structuredClone(record));
  }

  /**
   * Append a batch given as JSON text (worker mode): kept as text until something reads the
   * records, then parsed in order, so that the serving thread pays for records only when they are
   * read. Parsing makes the copy that {@link write} makes with `structuredClone`.
   *
   * @internal the worker pipeline calls it.
   */
  [writeJsonBatch](json: string): void {
    this.#pending.push(json);
  }

  /**
   * Apply retention at `now` (see {@link applyRetention}): strip expired categories, delete records
   * whose essential category expired, leave held records alone (flagged ones and those in a
   * hold's scope). Counts are per category and for deleted records; running it again at the same
   * `now` reports zeros.
   */
  async purge(now: Date): Promise<PurgeResult> {
    this.#takePending();
    const result = emptyPurgeResult();
    const holds = [...this.#holds.values()];
    const kept: AccessRecord[] = [];
    for (const record of this.#records) {
      if (isHeld(record, holds)) {
        kept.push(record);
        continue;
      }
      const outcome = applyRetention(record, now);
      countOutcome(result, outcome);
      if (outcome.record !== undefined) kept.push(outcome.record);
    }
    if (result.deleted > 0) this.#replace(kept);
    else this.#records = kept;
    let consents = 0;
    for (const [id, event] of this.#consents) {
      if (Date.parse(event.expires) > now.getTime() || isConsentHeld(event, holds)) continue;
      this.#consents.delete(id);
      consents++;
    }
    if (consents > 0) result.consents = consents;
    return result;
  }

  /** Keep consent events; one whose id is stored already is ignored. */
  async writeConsents(events: readonly ConsentEvent[]): Promise<void> {
    for (const event of events) {
      if (!this.#consents.has(event.id)) this.#consents.set(event.id, structuredClone(event));
    }
  }

  /** Iterate copies of the consent events that match `query`, oldest first. */
  async *readConsents(query: ConsentQuery = {}): AsyncGenerator<ConsentEvent> {
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    const matches = [...this.#consents.values()].filter((e) => matchesConsentQuery(e, query));
    matches.sort(compareConsentEvents);
    for (const event of matches.slice(0, limit)) yield structuredClone(event);
  }

  /**
   * Iterate deep copies of the records that match `query`, oldest first (by `time`, then `id`),
   * at most `query.limit` of them. The matches are chosen when iteration starts.
   */
  async *read(query: ReadQuery = {}): AsyncGenerator<AccessRecord> {
    this.#takePending();
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return;
    const matches = this.#records.filter((record) => matchesQuery(record, query));
    matches.sort(compareRecords);
    let yielded = 0;
    for (const record of matches) {
      yield structuredClone(record);
      if (++yielded >= limit) return;
    }
  }

  /**
   * Delete every record of `subject` that is not under legal hold. `held` counts the subject's
   * records that stay because a hold covers them.
   */
  async erase(subject: Subject): Promise<EraseResult> {
    this.#takePending();
    const holds = [...this.#holds.values()];
    let held = 0;
    const kept = this.#records.filter((record) => {
      if (!matchesSubject(record, subject)) return true;
      if (!isHeld(record, holds)) return false;
      held++;
      return true;
    });
    const erased = this.#records.length - kept.length;
    if (erased > 0) this.#replace(kept);
    return { erased, held };
  }

  /**
   * Place a legal hold, or replace the one with the same id (its `createdAt` is kept). Returns how
   * many stored records its scope covers. Records written later in the scope are held too, since
   * holds are checked at purge and erase time rather than stamped on records.
   */
  async hold(hold: Hold): Promise<number> {
    this.#takePending();
    const next = normalizeHold(hold);
    const previous = this.#holds.get(next.id);
    if (previous !== undefined) next.createdAt = previous.createdAt;
    this.#holds.set(next.id, next);
    return this.#records.filter((record) => matchesHoldScope(record, next.scope)).length;
  }

  /** Release a hold; returns whether it existed. Records another hold covers stay held. */
  async release(holdId: string): Promise<boolean> {
    return this.#holds.delete(holdId);
  }

  /** The holds in force, oldest first, as copies. */
  async holds(): Promise<Hold[]> {
    return [...this.#holds.values()]
      .sort((a, b) =>
        a.createdAt === b.createdAt ? cmp(a.id, b.id) : cmp(a.createdAt, b.createdAt),
      )
      .map((hold) => structuredClone(hold));
  }

  /** Enter an evidence export in the disclosure register (kept apart from the records). */
  async disclose(entry: Disclosure): Promise<void> {
    const next = normalizeDisclosure(entry);
    if (this.#disclosures.some((d) => d.id === next.id)) return;
    this.#disclosures.push(next);
  }

  /** The disclosure register, oldest entry first, as copies. */
  async disclosures(): Promise<Disclosure[]> {
    return [...this.#disclosures]
      .sort((a, b) => (a.at === b.at ? cmp(a.id, b.id) : cmp(a.at, b.at)))
      .map((entry) => structuredClone(entry));
  }

  /** Forget every record and hold. For tests; not part of the {@link Store} contract. */
  clear(): void {
    this.#pending = [];
    this.#replace([]);
    this.#holds.clear();
    this.#consents.clear();
  }

  #append(record: AccessRecord): void {
    if (this.#indexById.has(record.id)) return;
    this.#indexById.set(record.id, this.#records.length);
    this.#records.push(record);
  }

  /** Take in the JSON batches, in the order they came, before records are read or changed. */
  #takePending(): void {
    if (this.#pending.length === 0) return;
    const pending = this.#pending;
    this.#pending = [];
    for (const json of pending) for (const record of parseJsonBatch(json)) this.#append(record);
  }

  #replace(records: AccessRecord[]): void {
    this.#records = records;
    this.#indexById = new Map(records.map((record, index) => [record.id, index]));
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
