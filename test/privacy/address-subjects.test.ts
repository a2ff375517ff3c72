import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MemoryStore,
  type PrivacyLogMiddleware,
  policyByRegion,
  presets,
  privacyLog,
  SqliteStore,
  SubjectRefusedError,
} from '../../src/index.js';
import type { PolicyInput } from '../../src/policy/schema.js';
import type { Store } from '../../src/stores/store.js';
import { SECRET, spyLogger } from '../helpers/app.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'epl-address-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A site behind a trusted proxy on loopback, so that tests choose the client address. */
function site(policy: PolicyInput, stores: Store[]): { app: Express; log: PrivacyLogMiddleware } {
  const log = privacyLog({
    policy,
    store: stores,
    secret: SECRET,
    logger: spyLogger(),
    warnings: false,
    batch: { maxDelayMs: 5 },
    retention: { enabled: false },
  });
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use(log);
  app.get('/', (_req, res) => {
    res.send('home');
  });
  return { app, log };
}

async function visit(app: Express, address: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await request(app).get('/').set('X-Forwarded-For', address);
}

describe('subjects by address under a policy that keeps full addresses (classic)', () => {
  it('exports, holds and erases by address in every store, the mapped form included', async () => {
    const memory = new MemoryStore();
    const sqlite = new SqliteStore({ path: join(dir, 'classic.sqlite') });
    const { app, log } = site(presets.classic, [memory, sqlite]);
    await visit(app, '203.0.113.7', 3);
    await visit(app, '203.0.113.8', 2);
    await log.flush();

    const found = await log.subjects.export({ ip: '::ffff:203.0.113.7' });
    expect(found.records).toHaveLength(3);
    for (const entry of found.records) {
      expect(entry.record.client?.ip).toBe('203.0.113.7');
      expect(entry.stores).toEqual(['MemoryStore', 'SqliteStore']);
    }

    const [first] = found.records;
    await log.holds.add({
      reason: 'dispute',
      scope: { subject: { ip: '203.0.113.7' }, ids: [first!.record.id] },
      reviewAt: 'P30D',
    });
    const erased = await log.subjects.erase({ ip: '203.0.113.7' });
    expect(erased).toMatchObject({ erased: 2, held: 1, unsupported: [] });
    const left = await log.subjects.export({ ip: '203.0.113.7' });
    expect(left.records.map((r) => [r.record.id, r.held])).toEqual([[first!.record.id, true]]);
    expect((await log.subjects.export({ ip: '203.0.113.8' })).records).toHaveLength(2);
    await log.close();
  });

  it('refuses a value that is not an address', async () => {
    const { log } = site(presets.classic, [new MemoryStore()]);
    await expect(log.subjects.export({ ip: '203.0.113' })).rejects.toThrow(/not an IP address/);
    await log.close();
  });
});

describe('subjects by address under a policy that truncates addresses (gdpr)', () => {
  it('refuses export, erase and holds by address with the reason, and touches nothing', async () => {
    const memory = new MemoryStore();
    const { app, log } = site(presets.gdpr, [memory]);
    await visit(app, '203.0.113.7', 2);
    await log.flush();
    const before = memory.records.length;
    expect(memory.records[0]!.client?.ip).toBe('203.0.113.0');

    for (const attempt of [
      () => log.subjects.export({ ip: '203.0.113.0' }),
      () => log.subjects.erase({ ip: '203.0.113.7' }),
      () =>
        log.holds.add({ reason: 'x', scope: { subject: { ip: '203.0.113.0' } }, reviewAt: 'P1D' }),
    ]) {
      const error = await attempt().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(SubjectRefusedError);
      expect(error).toMatchObject({ code: 'ERR_SUBJECT_BY_ADDRESS' });
      expect((error as Error).message).toMatch(/truncated to \/24 .*not one person/);
    }
    expect(memory.records).toHaveLength(before);
    await log.close();
  });

  it('a regional logger refuses as soon as one of its policies truncates', async () => {
    const log = privacyLog({
      policy: policyByRegion({ EU: presets.gdpr, default: presets.classic }),
      store: new MemoryStore(),
      secret: SECRET,
      logger: spyLogger(),
      warnings: false,
      retention: { enabled: false },
    });
    await expect(log.subjects.export({ ip: '203.0.113.7' })).rejects.toBeInstanceOf(
      SubjectRefusedError,
    );
    await log.close();
  });
});
