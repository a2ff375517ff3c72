import { randomUUID } from 'node:crypto';
import { parseDuration } from '../policy/duration.js';
import { describeError } from '../shared/store-call.js';
import { isReviewDue, normalizeHold, normalizeScope } from '../stores/hold-scope.js';
import type { Hold, HoldScope } from '../stores/store.js';
import { refuseAddressScope } from './address-subjects.js';
import type { NamedStore, StoreSet } from './store-set.js';

/** What {@link HoldsApi.add} takes. */
export interface HoldInput {
  /** Unique id (a case number, say). Default: a random UUID. */
  id?: string;
  /** Why the records must be kept; shown in listings and review warnings. */
  reason: string;
  /** Which records; `{}` covers every record. */
  scope: HoldScope;
  /**
   * When someone must decide to extend or release the hold: a date, an ISO 8601 time, or an ISO
   * 8601 duration counted from now (`'P90D'`). Must lie in the future.
   */
  reviewAt: Date | string;
}

/** What {@link HoldsApi.extend} may change; the rest of the hold stays. */
export interface HoldChanges {
  reviewAt?: Date | string;
  reason?: string;
  scope?: HoldScope;
}

/** Where a hold was placed. */
export interface HoldPlacement {
  hold: Hold;
  /** Each store that holds records, with how many of its stored records the scope covers now. */
  stores: { store: string; covered: number }[];
  /**
   * Stores that can delete records (`purge` or `erase`) but cannot hold them: the hold does not
   * protect what they keep.
   */
  unprotected: string[];
}

/** A hold as listed: where it is in force, and whether its review is due. */
export interface HoldStatus extends Hold {
  stores: string[];
  reviewDue: boolean;
}

/** `logger.holds`: legal holds across every store that supports them. */
export interface HoldsApi {
  /** Place a hold in every store that supports holds. Rejects when none does. */
  add(input: HoldInput): Promise<HoldPlacement>;
  /** Change a hold's review date, reason or scope; `createdAt` stays. Rejects for an unknown id. */
  extend(id: string, changes: HoldChanges): Promise<HoldPlacement>;
  /** Release a hold everywhere; resolves whether any store had it. */
  release(id: string): Promise<boolean>;
  /** Every hold in force, oldest first. */
  list(): Promise<HoldStatus[]>;
}

/** The holds API over a set of stores; `clock` gives "now" for creation and review dates. */
export function createHoldsApi(
  set: StoreSet,
  clock: () => Date,
  addressRefusal?: string,
): HoldsApi {
  const holding = (): NamedStore[] => set.with('hold', 'release', 'holds');

  const place = async (hold: Hold): Promise<HoldPlacement> => {
    const stores = holding();
    if (stores.length === 0) {
      throw new Error(
        'no store of this logger supports legal holds (hold, release and holds methods); use MemoryStore, SqliteStore or another store that does',
      );
    }
    const placed: HoldPlacement['stores'] = [];
    const failed: string[] = [];
    for (const entry of stores) {
      try {
        const covered = await set.use(entry, (store) => store.hold!(hold));
        placed.push({ store: entry.name, covered: Number(covered) || 0 });
      } catch (err) {
        failed.push(`${entry.name}: ${describeError(err)}`);
      }
    }
    if (failed.length > 0) {
      // What was placed stays placed: a partial hold protects more than none. The same id can be
      // placed again once the failing store is back.
      throw new Error(`hold ${hold.id} could not be placed in ${failed.join('; ')}`);
    }
    const unprotected = set
      .with()
      .filter((entry) => !stores.includes(entry))
      .filter(({ store }) => typeof store.purge === 'function' || typeof store.erase === 'function')
      .map((entry) => entry.name);
    return { hold, stores: placed, unprotected };
  };

  const list = async (): Promise<HoldStatus[]> => {
    const byId = new Map<string, HoldStatus>();
    const now = clock();
    for (const entry of holding()) {
      const holds = await set.use(entry, (store) => store.holds!());
      for (const hold of holds) {
        const known = byId.get(hold.id);
        if (known) known.stores.push(entry.name);
        else
          byId.set(hold.id, { ...hold, stores: [entry.name], reviewDue: isReviewDue(hold, now) });
      }
    }
    return [...byId.values()].sort((a, b) =>
      a.createdAt === b.createdAt ? compare(a.id, b.id) : compare(a.createdAt, b.createdAt),
    );
  };

  return {
    async add(input) {
      if (input === null || typeof input !== 'object')
        throw new TypeError('hold: must be an object');
      refuseAddressScope(input.scope, addressRefusal);
      const now = clock();
      const hold = normalizeHold({
        id: input.id ?? randomUUID(),
        reason: input.reason,
        scope: input.scope,
        createdAt: now.toISOString(),
        reviewAt: futureTime(input.reviewAt, now, 'reviewAt'),
      });
      return place(hold);
    },

    async extend(id, changes) {
      const current = (await list()).find((hold) => hold.id === id);
      if (current === undefined) throw new Error(`no legal hold with id ${JSON.stringify(id)}`);
      refuseAddressScope(changes.scope, addressRefusal);
      const now = clock();
      const hold = normalizeHold({
        id: current.id,
        reason: changes.reason ?? current.reason,
        scope: changes.scope === undefined ? current.scope : normalizeScope(changes.scope),
        createdAt: current.createdAt,
        reviewAt:
          changes.reviewAt === undefined
            ? current.reviewAt
            : futureTime(changes.reviewAt, now, 'reviewAt'),
      });
      return place(hold);
    },

    async release(id) {
      let released = false;
      const failed: string[] = [];
      for (const entry of holding()) {
        try {
          if (await set.use(entry, (store) => store.release!(id))) released = true;
        } catch (err) {
          failed.push(`${entry.name}: ${describeError(err)}`);
        }
      }
      if (failed.length > 0) {
        throw new Error(`hold ${id} could not be released in ${failed.join('; ')}`);
      }
      return released;
    },

    list,
  };
}

/**
 * A time in the future, from a Date, an ISO time or an ISO duration counted from `now`. A review
 * date in the past would be due the moment the hold is placed, which is never what was meant.
 */
export function futureTime(value: Date | string, now: Date, field: string): string {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'string' && value.startsWith('P')) {
    const duration = parseDuration(value);
    ms = duration === undefined ? Number.NaN : now.getTime() + duration;
  } else ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new TypeError(
      `${field}: must be a date, an ISO 8601 time or an ISO 8601 duration such as 'P90D'`,
    );
  }
  if (ms <= now.getTime()) throw new TypeError(`${field}: must lie in the future`);
  return new Date(ms).toISOString();
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
