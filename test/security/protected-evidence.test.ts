import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { definePolicy, presets, privacyLog } from '../../src/index.js';
import type { AccessRecord } from '../../src/record.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { SqliteStore } from '../../src/stores/sqlite/store.js';
import type { Store } from '../../src/stores/store.js';
import { SECRET, setCookies, spyLogger } from '../helpers/app.js';

const dir = mkdtempSync(join(tmpdir(), 'epl-evidence-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { categories } = presets.classic;
/** The seed policy with short retention everywhere but the security category's year. */
const policy = definePolicy({
  ...presets.classic,
  name: 'short',
  categories: {
    client: { ...categories.client!, retention: 'P7D' },
    essential: { ...categories.essential, retention: 'P7D' },
    nonessential: { ...categories.nonessential!, retention: 'P7D' },
    security: { ...categories.security!, retention: 'P1Y' },
  },
});

async function readAll(store: Store): Promise<AccessRecord[]> {
  const out: AccessRecord[] = [];
  for await (const r of store.read!({})) out.push(r);
  return out;
}

function site(store: Store) {
  const log = privacyLog({
    policy,
    store,
    secret: SECRET,
    logger: spyLogger(),
    warnings: false,
    batch: { maxDelayMs: 5 },
    retention: { enabled: false },
  });
  const app = express();
  app.use(log);
  app.use(log.router());
  app.get('/', (_req, res) => {
    res.send('home');
  });
  return { app, log };
}

describe.each([
  ['MemoryStore', () => new MemoryStore()],
  ['SqliteStore', () => new SqliteStore({ path: join(dir, `${Math.random()}.sqlite`) })],
])('flagged records are protected evidence (%s)', (_name, makeStore) => {
  it("survive purge past their retention and the attacker's own erasure; hidden from my-data", async () => {
    const store = makeStore();
    const { app, log } = site(store);
    const first = await request(app).get('/');
    const cookie = setCookies(first)
      .find((c) => c.startsWith('pl_vid='))!
      .split(';')[0]!;
    await request(app).get('/.env').set('Cookie', cookie);
    await request(app).get('/').set('Cookie', cookie);
    await log.flush();

    const flagged = (await readAll(store)).find((r) => r.security)!;
    expect(flagged.security!.reasons).toEqual(['sensitive-path']);
    expect(flagged.security!.hold).toBe(true);

    // Two years on: past the security retention as well; only the hold keeps the record.
    await log.purge(new Date(Date.now() + 2 * 365 * 86_400_000));
    expect((await readAll(store)).map((r) => r.id)).toEqual([flagged.id]);

    // Ordinary records of the same visitor, then the visitor's own erasure.
    await request(app).get('/').set('Cookie', cookie);
    await log.flush();
    const mine = await request(app).get('/privacy/my-data').set('Cookie', cookie);
    const body = JSON.parse(mine.text);
    expect(body.records.length).toBeGreaterThan(0);
    expect(mine.text).not.toContain('"security"');
    expect(mine.text).not.toContain('sensitive-path');
    expect(mine.text).not.toContain('"held"');
    expect(mine.text).not.toContain(flagged.id);

    const erased = await request(app).post('/privacy/erase').set('Cookie', cookie);
    expect(erased.status).toBe(200);
    await log.flush();
    const left = await readAll(store);
    expect(left.map((r) => r.id)).toContain(flagged.id);
    expect(left.filter((r) => r.nonessential?.visitorId !== undefined).map((r) => r.id)).toEqual([
      flagged.id,
    ]);

    // The operator's export shows everything, the hold flag too.
    const visitorId = flagged.nonessential!.visitorId!;
    const operator = await log.subjects.export({ visitorId });
    expect(operator.records).toEqual([
      expect.objectContaining({
        held: true,
        record: expect.objectContaining({ id: flagged.id, security: expect.anything() }),
      }),
    ]);
    await log.close();
  });

  it('security.flag holds records already stored, beyond their retention', async () => {
    const store = makeStore();
    const { app, log } = site(store);
    await request(app).get('/');
    await request(app).get('/');
    await log.flush();
    const [one, two] = await readAll(store);
    const placed = await log.security.flag({ ids: [one!.id] }, 'IDS alert 4711');
    expect(placed.hold.reason).toBe('security: IDS alert 4711');
    expect(placed.stores).toEqual([expect.objectContaining({ covered: 1 })]);
    await log.purge(new Date(Date.now() + 30 * 86_400_000));
    const left = (await readAll(store)).map((r) => r.id);
    expect(left).toContain(one!.id);
    expect(left).not.toContain(two!.id);
    await log.close();
  });
});
