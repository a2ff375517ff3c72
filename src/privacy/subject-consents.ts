import {
  type ConsentEvent,
  type ConsentQuery,
  compareConsentEvents,
} from '../stores/consent-events.js';
import type { Subject } from '../stores/store.js';
import type { NamedStore, StoreSet } from './store-set.js';

/** The consent events of one store that match `query`, collected. */
export async function storeConsents(
  set: StoreSet,
  entry: NamedStore,
  query: ConsentQuery,
  abandoned?: AbortSignal,
): Promise<ConsentEvent[]> {
  if (typeof entry.store.readConsents !== 'function') return [];
  const events = await set.use(entry, (store) => store.readConsents!(query), abandoned);
  const found: ConsentEvent[] = [];
  for await (const event of events) found.push(event);
  return found;
}

/** The ledger query for a subject: events carry only a visitor id, so other subjects have none. */
export function consentQueryOf(subject: Subject): ConsentQuery | undefined {
  return 'visitorId' in subject ? { visitorId: subject.visitorId } : undefined;
}

/** Events gathered from several stores, each once, oldest first. */
export function mergeConsents(lists: readonly (readonly ConsentEvent[])[]): ConsentEvent[] {
  const byId = new Map<string, ConsentEvent>();
  for (const list of lists)
    for (const event of list) if (!byId.has(event.id)) byId.set(event.id, event);
  return [...byId.values()].sort(compareConsentEvents);
}

/**
 * The consent ledger across every store that keeps it, each event once, oldest first: the
 * operator's view (`logger.consents()`). Each store is flushed first, so that a change of choice
 * made just before is there.
 */
export async function listConsents(
  set: StoreSet,
  flush: (stores: readonly string[], timeoutMs: number) => Promise<unknown>,
  query: ConsentQuery = {},
): Promise<ConsentEvent[]> {
  if (set.closed) throw new Error('the logger is closed');
  const entries = set.with('readConsents');
  await flush(
    entries.map((entry) => entry.name),
    10_000,
  );
  const lists = await Promise.all(entries.map((entry) => storeConsents(set, entry, query)));
  const merged = mergeConsents(lists);
  return query.limit === undefined ? merged : merged.slice(0, query.limit);
}
