import type { DomainStats } from '../enrich/domain.js';
import type { PipelineStats } from '../pipeline/in-process.js';
import type { DropCounts, DropReason, StoreStats } from '../pipeline/store-writer.js';
import { DROP_REASONS, type WorkerSnapshot } from './shared-stats.js';

function noDrops(): DropCounts {
  const counts = {} as DropCounts;
  for (const reason of DROP_REASONS) counts[reason] = 0;
  return counts;
}

interface StoreTotals {
  /** Records of an earlier process's disk spill, found by stopped workers. */
  recovered: number;
  written: number;
  failures: number;
  timeouts: number;
  dropped: DropCounts;
}

/**
 * The serving thread's view of the counters in worker mode: what it counted itself (every request
 * handed over, and those dropped before they crossed), the totals of workers that have stopped,
 * and the running worker's snapshot. Per store, at every read:
 * `accepted = written + dropped + buffered`, where buffered includes what is waiting to cross and
 * what has crossed but is not yet in the worker's own counters.
 *
 * Bots the worker skips are not accepted, as in-process: they are taken off `accepted` once the
 * worker has seen them.
 */
export class Accounting {
  /** Every request handed over by the middleware. */
  #handed = 0;
  /** Requests dropped on the serving thread (after close, or while no worker could take them). */
  readonly #mainDropped = noDrops();
  /** Requests posted to the running worker. */
  #posted = 0;
  /** Totals of the workers that have stopped. */
  readonly #base: StoreTotals[];
  #baseSkipped = 0;
  #baseInvalid = 0;
  #baseOverflow = 0;
  readonly #baseCompany = { lookups: 0, found: 0, timeouts: 0, failures: 0 };
  #baseDomain: DomainStats | undefined;
  readonly #names: readonly string[];
  readonly lastErrors: (string | undefined)[];

  constructor(names: readonly string[]) {
    this.#names = names;
    this.#base = names.map(() => ({
      recovered: 0,
      written: 0,
      failures: 0,
      timeouts: 0,
      dropped: noDrops(),
    }));
    this.lastErrors = names.map(() => undefined);
  }

  /** A request was handed over. */
  handed(): void {
    this.#handed++;
  }

  /** A request handed over was dropped on the serving thread, for every store. */
  dropped(reason: DropReason): void {
    this.#mainDropped[reason]++;
  }

  /** Requests were posted to the running worker. */
  posted(count: number): void {
    this.#posted += count;
  }

  /**
   * The running worker stopped: its totals join the base, and whatever it had not written or
   * dropped by its last snapshot is counted as lost for `reason`. Returns the most any store lost.
   */
  workerStopped(last: WorkerSnapshot, reason: DropReason): number {
    const skipped = last.enrichment.skippedBots;
    let lostMost = 0;
    last.dispatcher.stores.forEach((store, i) => {
      const base = this.#base[i]!;
      let settled = store.written;
      for (const r of DROP_REASONS) {
        base.dropped[r] += store.dropped[r];
        settled += store.dropped[r];
      }
      const recovered = store.recovered ?? 0;
      base.recovered += recovered;
      base.written += store.written;
      base.failures += store.failures;
      base.timeouts += store.timeouts;
      // What it held of an earlier process's spill is still on disk, for the next worker.
      const onDisk = store.spilled ?? 0;
      const lost = Math.max(0, this.#posted - skipped + recovered - settled - onDisk);
      base.recovered -= onDisk;
      base.dropped[reason] += lost;
      lostMost = Math.max(lostMost, lost);
    });
    this.#baseSkipped += skipped;
    this.#baseInvalid += last.dispatcher.invalid;
    this.#baseOverflow += last.enrichment.overflow;
    for (const key of ['lookups', 'found', 'timeouts', 'failures'] as const) {
      this.#baseCompany[key] += last.enrichment.company[key];
    }
    const domain = last.enrichment.domain;
    if (domain !== undefined) {
      const base = this.#baseDomain;
      this.#baseDomain = { ...domain, inFlight: 0 };
      if (base !== undefined) {
        for (const key of Object.keys(domain) as (keyof DomainStats)[]) {
          if (key !== 'inFlight') this.#baseDomain[key] += base[key];
        }
      }
    }
    this.#posted = 0;
    return lostMost;
  }

  /**
   * The counters now. `waiting` is what has not crossed yet; `current` the running worker's
   * snapshot (undefined when none runs).
   */
  stats(waiting: number, current: WorkerSnapshot | undefined): PipelineStats {
    const skipped = this.#baseSkipped + (current?.enrichment.skippedBots ?? 0);
    const accepted = this.#handed - skipped;
    // Crossed, but not yet in the worker's dispatcher: in transit or waiting for lookups.
    const inWorker = current
      ? this.#posted - current.enrichment.skippedBots - current.dispatcher.accepted
      : this.#posted;
    const ahead = waiting + inWorker;
    const stores: StoreStats[] = this.#names.map((name, i) => {
      const base = this.#base[i]!;
      const now = current?.dispatcher.stores[i];
      const dropped = noDrops();
      for (const r of DROP_REASONS) {
        dropped[r] = base.dropped[r] + this.#mainDropped[r] + (now?.dropped[r] ?? 0);
      }
      const recovered = base.recovered + (now?.recovered ?? 0);
      const stats: StoreStats = {
        name,
        accepted: accepted + recovered,
        written: base.written + (now?.written ?? 0),
        buffered: ahead + (now?.buffered ?? 0),
        dropped,
        failures: base.failures + (now?.failures ?? 0),
        timeouts: base.timeouts + (now?.timeouts ?? 0),
      };
      const lastError = this.lastErrors[i];
      if (lastError !== undefined) stats.lastError = lastError;
      if (now?.spilled !== undefined) {
        stats.spilled = now.spilled;
        stats.recovered = recovered;
      }
      return stats;
    });
    const e = current?.enrichment;
    const enrichment: PipelineStats['enrichment'] = {
      pending: e?.pending ?? 0,
      skippedBots: skipped,
      overflow: this.#baseOverflow + (e?.overflow ?? 0),
      company: {
        lookups: this.#baseCompany.lookups + (e?.company.lookups ?? 0),
        found: this.#baseCompany.found + (e?.company.found ?? 0),
        timeouts: this.#baseCompany.timeouts + (e?.company.timeouts ?? 0),
        failures: this.#baseCompany.failures + (e?.company.failures ?? 0),
      },
    };
    const domain = sumDomain(this.#baseDomain, e?.domain);
    if (domain !== undefined) enrichment.domain = domain;
    return {
      accepted,
      buffered: ahead + (current?.dispatcher.buffered ?? 0),
      invalid: this.#baseInvalid + (current?.dispatcher.invalid ?? 0),
      stores,
      enrichment,
    };
  }
}

function sumDomain(
  base: DomainStats | undefined,
  now: DomainStats | undefined,
): DomainStats | undefined {
  if (base === undefined) return now;
  if (now === undefined) return { ...base };
  const out = { ...now };
  for (const key of Object.keys(base) as (keyof DomainStats)[]) {
    if (key !== 'inFlight') out[key] += base[key];
  }
  return out;
}
