import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModuleStore } from '../../src/stores/module-store.js';
import type { Store } from '../../src/stores/store.js';

const MODULE = join(import.meta.dirname, '../fixtures/ledger-store.mjs');

// A store given as { module, options } runs in process behind a ModuleStore: every optional
// method the loaded store has must reach it, or its ledger, register and suppressions stay empty
// in process while they fill in worker mode.
describe('ModuleStore in process', () => {
  it('passes on the consent ledger, the disclosure register and suppressions', async () => {
    const placeholder = new ModuleStore({ module: MODULE, options: { name: 'ledger' } });
    // Seen as any store is: its optional methods appear once the module has loaded.
    const store: Store = placeholder;
    expect(store.writeConsents).toBeUndefined();
    await store.init?.();
    const event = { id: 'c1', at: '2026-11-30T00:00:00.000Z', choice: 'in' };
    await store.writeConsents?.([event as never]);
    const read: unknown[] = [];
    for await (const e of store.readConsents?.({}) ?? []) read.push(e);
    expect(read).toEqual([event]);
    const entry = { id: 'd1', at: '2026-11-30T00:00:00.000Z' };
    await store.disclose?.(entry as never);
    expect(await store.disclosures?.()).toEqual([entry]);
    await store.suppress?.({ visitorId: 'v1' }, new Date('2026-11-30T00:00:00Z'));
    const inner = (await placeholder.load()) as unknown as { suppressed: unknown[] };
    expect(inner.suppressed).toEqual([
      { subject: { visitorId: 'v1' }, at: '2026-11-30T00:00:00.000Z' },
    ]);
  });

  it('adds none of them for a store that has none', async () => {
    const store = new ModuleStore({
      module: join(import.meta.dirname, '../fixtures/file-store.mjs'),
      options: { file: join(import.meta.dirname, 'unused.ndjson') },
    });
    await store.init();
    for (const method of ['writeConsents', 'readConsents', 'disclose', 'disclosures', 'suppress']) {
      expect((store as unknown as Record<string, unknown>)[method], method).toBeUndefined();
    }
  });
});
