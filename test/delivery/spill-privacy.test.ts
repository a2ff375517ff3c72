/**
 * The disk spill as personal data: an erasure during an outage reaches the records still on their
 * way to the store (in memory and in the spill files), and the notice says a spill is on.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type AccessRecord,
  MemoryStore,
  presets,
  privacyLog,
  renderNotice,
} from '../../src/index.js';
import { spillSettingsOf } from '../../src/stores/spill-options.js';
import type { Store } from '../../src/stores/store.js';
import { SECRET, setCookies, spyLogger } from '../helpers/app.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'epl-spill-privacy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pair = (line: string | undefined) => line?.split(';')[0] ?? '';
const find = (cookies: string[], name: string) => cookies.find((c) => c.startsWith(`${name}=`));

async function spillText(spillDir: string): Promise<string> {
  const names = (await readdir(spillDir)).filter((name) => name.endsWith('.ndjson'));
  return (await Promise.all(names.map((name) => readFile(join(spillDir, name), 'utf8')))).join('');
}

describe('erasure during an outage, with a disk spill', () => {
  it('removes the subject from what waits for the store, and the store never gets it', async () => {
    const spillDir = join(dir, 'erase');
    const state = { down: true, written: [] as AccessRecord[] };
    // A network store stand-in: down (writes and erasures fail) until told otherwise.
    const net: Store & { [spillSettingsOf]: { dir: string; maxBytes: number } } = {
      name: 'net',
      write(records) {
        if (state.down) return Promise.reject(new Error('connection refused'));
        state.written.push(...records);
        return undefined;
      },
      erase: () => Promise.reject(new Error('connection refused')),
      [spillSettingsOf]: { dir: spillDir, maxBytes: 1024 * 1024 },
    };
    const memory = new MemoryStore();
    const log = privacyLog({
      policy: presets.classic,
      store: [memory, net],
      secret: SECRET,
      logger: spyLogger(),
      warnings: false,
      queue: { maxRecords: 8, maxBytes: 1024 * 1024 },
      batch: { size: 2, maxDelayMs: 1 },
      retryMaxDelayMs: 20,
      retention: { enabled: false },
    });
    const app = express();
    app.use(log);
    app.get('/', (_req, res) => {
      res.send('home');
    });
    try {
      const cookie = pair(find(setCookies(await request(app).get('/')), 'pl_vid'));
      for (let i = 0; i < 3; i++) {
        await request(app).get('/').set('Cookie', cookie);
        await request(app).get('/');
      }
      // The healthy store says who the visitor is; the down one has spilled some of it.
      await vi.waitFor(() => expect(memory.records).toHaveLength(7), { timeout: 15_000 });
      const visitorId = memory.records[0]!.nonessential!.visitorId!;
      await vi.waitFor(() => expect(log.stats().stores[1]!.spilled).toBeGreaterThan(0), {
        timeout: 15_000,
      });
      // Counted once written to a temporary file; the file takes its final name after its sync.
      await vi.waitFor(async () => expect(await spillText(spillDir)).toContain(visitorId), {
        timeout: 15_000,
      });

      const result = await log.subjects.erase({ visitorId }, { timeoutMs: 300 });
      // Four records of the visitor were waiting for the down store; it is named as unavailable.
      expect(result.buffered).toBe(4);
      expect(result.unavailable.map((u) => u.store)).toEqual(['net']);
      expect(await spillText(spillDir)).not.toContain(visitorId);
      expect(log.stats().stores[1]!.dropped.erased).toBe(4);

      state.down = false;
      await log.flush();
      expect(state.written).toHaveLength(3);
      expect(JSON.stringify(state.written)).not.toContain(visitorId);
      const stats = log.stats().stores[1]!;
      expect(stats).toMatchObject({ accepted: 7, written: 3, buffered: 0 });
    } finally {
      await log.close({ timeoutMs: 1000 });
    }
  });
});

describe('the notice', () => {
  it('mentions the disk spill when a store has one, and only then', () => {
    const options = { site: 'shop.example', contact: 'privacy@shop.example' };
    const withSpill = renderNotice(presets.gdpr, { ...options, diskSpill: true });
    const without = renderNotice(presets.gdpr, options);
    expect(withSpill).toContain('kept in files on the server');
    expect(withSpill).toContain('an erasure request removes them there too');
    expect(without).not.toContain('kept in files on the server');
  });
});
