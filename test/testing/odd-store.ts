import type { AccessRecord } from '../../src/record.js';
import {
  applyRetention,
  compareRecords,
  countOutcome,
  emptyPurgeResult,
  matchesQuery,
  matchesSubject,
} from '../../src/stores/retention.js';
import type { PurgeResult, ReadQuery, Store, Subject } from '../../src/stores/store.js';

/**
 * A deliberately odd plugin store: synchronous write, read and erase (a plain array as the
 * iterable), a slow asynchronous purge, and a synchronous throw on every `failEvery`-th call of
 * any method, before it changes anything.
 */
export class OddStore implements Store {
  readonly name = 'OddStore';
  calls = 0;
  failures = 0;
  #records = new Map<string, AccessRecord>();

  constructor(
    private readonly failEvery: number,
    private readonly slowMs: number,
  ) {}

  write(records: readonly AccessRecord[]): void {
    this.#maybeFail('write');
    for (const record of records) {
      if (!this.#records.has(record.id)) this.#records.set(record.id, structuredClone(record));
    }
  }

  read(query: ReadQuery): AccessRecord[] {
    this.#maybeFail('read');
    const matches = [...this.#records.values()].filter((r) => matchesQuery(r, query));
    return matches.sort(compareRecords).slice(0, query.limit ?? matches.length);
  }

  erase(subject: Subject): number {
    this.#maybeFail('erase');
    let erased = 0;
    for (const [id, record] of this.#records) {
      if (record.security?.hold !== true && matchesSubject(record, subject)) {
        this.#records.delete(id);
        erased++;
      }
    }
    return erased;
  }

  async purge(now: Date): Promise<PurgeResult> {
    this.#maybeFail('purge');
    await new Promise((resolve) => setTimeout(resolve, this.slowMs));
    const result = emptyPurgeResult();
    for (const [id, record] of this.#records) {
      const outcome = applyRetention(record, now);
      countOutcome(result, outcome);
      if (outcome.record === undefined) this.#records.delete(id);
      else this.#records.set(id, outcome.record);
    }
    return result;
  }

  #maybeFail(method: string): void {
    if (++this.calls % this.failEvery === 0) {
      this.failures++;
      throw new Error(`OddStore: ${method} failed (call ${this.calls})`);
    }
  }
}
