/**
 * Records and small helpers the store contract works with. They are public so that a plugin
 * author's own tests can build the same fixtures.
 */
import type { AccessRecord } from '../record.js';
import { STRIPPABLE_CATEGORIES } from '../stores/retention.js';
import type { EraseResult, PurgeResult, ReadQuery, Store } from '../stores/store.js';

/** The time of contract record 0; record `n` is `n` seconds later. */
export const CONTRACT_BASE_TIME = Date.parse('2025-01-01T00:00:00.000Z');

const DAY_MS = 24 * 60 * 60 * 1000;

/** A record field set to `undefined` in the overrides is removed from the record. */
export type ContractRecordOverrides = { [K in keyof AccessRecord]?: AccessRecord[K] | undefined };

/** A UUIDv7-shaped id that sorts like `n`, so the expected tie-break order is known. */
export function contractId(n: number): string {
  return `01940000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** An ISO time `days` (fractional allowed) after an ISO time or epoch milliseconds. */
export function daysAfter(from: string | number, days: number): string {
  const base = typeof from === 'number' ? from : Date.parse(from);
  return new Date(base + days * DAY_MS).toISOString();
}

/**
 * Contract record number `n`: every category but `optional` and `security`, visitor id `v-<n>`,
 * time `n` seconds after {@link CONTRACT_BASE_TIME}, and expiries counted from that time: client
 * 7 days, nonessential 30 days, essential 90 days.
 */
export function contractRecord(n: number, overrides: ContractRecordOverrides = {}): AccessRecord {
  const time = overrides.time ?? new Date(CONTRACT_BASE_TIME + n * 1000).toISOString();
  const record: AccessRecord = {
    v: 1,
    id: contractId(n),
    time,
    policy: 'contract@1',
    consent: { analytics: true, basis: 'consent', gpc: false, dnt: false },
    client: { ip: '203.0.113.0', geo: { country: 'DE', region: 'BE', eu: true } },
    essential: {
      method: 'GET',
      path: `/items/${n}`,
      route: '/items/:id',
      status: 200,
      durationMs: 3.25,
      bytes: 512,
      browser: { name: 'Firefox', major: '128' },
      os: { name: 'Linux' },
      device: 'desktop',
      bot: false,
    },
    nonessential: { referrer: 'https://example.org', visitorId: `v-${n}` },
    expires: {
      client: daysAfter(time, 7),
      nonessential: daysAfter(time, 30),
      essential: daysAfter(time, 90),
    },
  };
  const merged: Record<string, unknown> = { ...record, ...overrides };
  for (const [key, value] of Object.entries(merged)) {
    if (value === undefined) delete merged[key];
  }
  return merged as unknown as AccessRecord;
}

/** Contract records `from` to `from + count - 1`, each with {@link contractRecord}'s defaults. */
export function contractRecords(from: number, count: number): AccessRecord[] {
  return Array.from({ length: count }, (_, i) => contractRecord(from + i));
}

/** Every record `read(query)` yields, whether the store answers with an async or a plain iterable. */
export async function readAll(store: Store, query: ReadQuery = {}): Promise<AccessRecord[]> {
  if (typeof store.read !== 'function') throw new TypeError('the store has no read()');
  const out: AccessRecord[] = [];
  for await (const record of store.read(query)) out.push(record);
  return out;
}

/** An erase answer in one shape: a bare count means nothing was reported as held. */
export function eraseCounts(result: number | EraseResult): EraseResult & { reportsHeld: boolean } {
  return typeof result === 'number'
    ? { erased: result, held: 0, reportsHeld: false }
    : { erased: result.erased, held: result.held, reportsHeld: true };
}

/** A purge answer with every strippable category present (a missing count reads as 0). */
export function purgeCounts(result: PurgeResult): PurgeResult {
  const removed: PurgeResult['removed'] = {};
  for (const category of STRIPPABLE_CATEGORIES) removed[category] = result.removed[category] ?? 0;
  return { removed, deleted: result.deleted };
}

/** Records sorted as stores return them: by time, then id. */
export function inStoreOrder(records: readonly AccessRecord[]): AccessRecord[] {
  return [...records].sort((a, b) => {
    const byTime = Date.parse(a.time) - Date.parse(b.time);
    if (byTime !== 0) return byTime;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}
