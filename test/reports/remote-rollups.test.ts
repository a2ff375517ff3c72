import { describe, expect, it, vi } from 'vitest';
import type { RemoteRollups } from '../../src/reports/reports-api.js';
import { createReports } from '../../src/reports/reports-api.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import type { Store } from '../../src/stores/store.js';
import { spyLogger } from '../helpers/app.js';

/** A store the worker would hold: it reads records but keeps no rollups. */
const readsOnly: Store = {
  name: 'reads-only',
  write() {},
  async *read() {},
};

function remoteRollups(): RemoteRollups {
  return {
    update: vi.fn(async () => ({ skipped: false, records: 0, watermark: undefined })),
    buckets: vi.fn(async () => []),
    purge: vi.fn(async () => 0),
  };
}

function reports(stores: Store[], remote: (index: number) => RemoteRollups | undefined) {
  return createReports({
    stores,
    aggregates: [undefined],
    logger: spyLogger(),
    flush: async () => {},
    shortestRetentionMs: 86_400_000,
    remote,
  });
}

describe('reports and rollups kept in the worker', () => {
  it('ask the worker only for the store chosen to keep the rollups', async () => {
    const remotes = [remoteRollups(), remoteRollups()];
    const wiring = reports([readsOnly, new MemoryStore()], (i) => remotes[i]);
    await wiring.api.traffic();
    expect(remotes[0]!.update).not.toHaveBeenCalled();
    expect(remotes[1]!.update).toHaveBeenCalledWith(expect.any(Date), true);
    expect(remotes[1]!.buckets).toHaveBeenCalled();
  });

  it('say what is missing when no store keeps rollups, without calling the worker', async () => {
    const remote = remoteRollups();
    const wiring = reports([readsOnly], () => remote);
    await expect(wiring.api.traffic()).rejects.toThrow(
      'traffic reports need a store that keeps rollups',
    );
    expect(remote.update).not.toHaveBeenCalled();
  });

  it('leave the open hours out of a retention run in the worker', async () => {
    const remote = remoteRollups();
    const wiring = reports([new MemoryStore()], () => remote);
    await wiring.purgeUpTo(new Date());
    expect(remote.update).toHaveBeenCalledWith(expect.any(Date), false);
    expect(remote.purge).toHaveBeenCalled();
  });
});
