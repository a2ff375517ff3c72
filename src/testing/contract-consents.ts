import type { ConsentEvent } from '../stores/consent-events.js';
import type { Store } from '../stores/store.js';
import { CONTRACT_BASE_TIME } from './contract-records.js';
import type { ContractContext } from './store-contract.js';

/** A consent event at `n` seconds after the contract's base time, kept `days` days. */
export function contractConsent(
  n: number,
  overrides: Partial<ConsentEvent> = {},
  days = 30,
): ConsentEvent {
  const ms = CONTRACT_BASE_TIME + n * 1000;
  const hex = n.toString(16).padStart(12, '0');
  return {
    v: 1,
    id: `0190b5e0-0000-7000-8000-${hex}`,
    time: new Date(ms).toISOString(),
    visitorId: 'visitor-a',
    choice: n % 2 === 0 ? 'in' : 'out',
    source: 'button',
    policy: 'contract@1',
    notice: 'a'.repeat(64),
    expires: new Date(ms + days * 86_400_000).toISOString(),
    ...overrides,
  };
}

async function readConsents<S extends Store>(
  store: S,
  query: Parameters<NonNullable<Store['readConsents']>>[0] = {},
): Promise<ConsentEvent[]> {
  const events: ConsentEvent[] = [];
  for await (const event of await store.readConsents!(query)) events.push(event);
  return events;
}

/** The consent ledger: `writeConsents`, `readConsents`, and its retention and holds in `purge`. */
export function consentTests<S extends Store>(context: ContractContext<S>): void {
  const { runner, expect, capabilities } = context;
  runner.describe('consent ledger', () => {
    context.test('reads back what was written, oldest first, once per id', async (store) => {
      const events = [3, 1, 2].map((n) => contractConsent(n));
      await store.writeConsents!(events);
      await store.writeConsents!([events[0]!]);
      expect(await readConsents(store)).toEqual([1, 2, 3].map((n) => contractConsent(n)));
    });

    context.test('filters by visitor id and time, and stops at the limit', async (store) => {
      // An event of a browser without a visitor id (an objection on its first visit, say).
      const anonymous = contractConsent(4);
      delete anonymous.visitorId;
      await store.writeConsents!([
        contractConsent(1),
        contractConsent(2, { visitorId: 'visitor-b' }),
        contractConsent(3),
        anonymous,
      ]);
      const ids = async (query: Parameters<typeof readConsents>[1]) =>
        (await readConsents(store, query)).map((event) => event.time);
      const at = (n: number) => new Date(CONTRACT_BASE_TIME + n * 1000);
      expect(await ids({ visitorId: 'visitor-a' })).toEqual([1, 3].map((n) => at(n).toISOString()));
      expect(await ids({ from: at(2), to: at(4) })).toEqual([2, 3].map((n) => at(n).toISOString()));
      expect(await ids({ limit: 1 })).toEqual([at(1).toISOString()]);
    });

    if (capabilities.purge) {
      context.test('purge deletes the events past their expiry, and counts them', async (store) => {
        await store.writeConsents!([contractConsent(1, {}, 10), contractConsent(2, {}, 400)]);
        const result = await store.purge!(new Date(CONTRACT_BASE_TIME + 20 * 86_400_000));
        expect(result.consents).toBe(1);
        expect((await readConsents(store)).map((event) => event.id)).toEqual([
          contractConsent(2).id,
        ]);
      });
    }

    if (capabilities.purge && capabilities.holds) {
      context.test('a hold on the visitor keeps their events from purge', async (store) => {
        await store.writeConsents!([
          contractConsent(1, {}, 10),
          contractConsent(2, { visitorId: 'visitor-b' }, 10),
        ]);
        await store.hold!({
          id: 'ledger-case',
          reason: 'a dispute about consent',
          scope: { subject: { visitorId: 'visitor-a' } },
          createdAt: '2025-01-02T00:00:00.000Z',
          reviewAt: '2025-07-01T00:00:00.000Z',
        });
        const result = await store.purge!(new Date(CONTRACT_BASE_TIME + 20 * 86_400_000));
        expect(result.consents).toBe(1);
        expect((await readConsents(store)).map((event) => event.visitorId)).toEqual(['visitor-a']);
        await store.release!('ledger-case');
        await store.purge!(new Date(CONTRACT_BASE_TIME + 20 * 86_400_000));
        expect(await readConsents(store)).toEqual([]);
      });
    }
  });
}
