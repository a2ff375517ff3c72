import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { definePolicy, presets, privacyLog } from '../../src/index.js';
import { noticeHash } from '../../src/privacy/consent-ledger.js';
import type { ConsentEvent } from '../../src/stores/consent-events.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { SqliteStore } from '../../src/stores/sqlite/store.js';
import type { Store } from '../../src/stores/store.js';
import { SECRET, spyLogger } from '../helpers/app.js';

const v1 = definePolicy({ ...presets.gdpr, version: '1' });
/** Version 2 adds a purpose to the nonessential category, which is under consent. */
const withPurpose = {
  ...presets.gdpr.categories,
  nonessential: {
    ...presets.gdpr.categories.nonessential!,
    purposes: [...presets.gdpr.categories.nonessential!.purposes, 'Personalise the home page'],
  },
};
const v2 = definePolicy({ ...presets.gdpr, version: '2', categories: withPurpose });
/** Version 3 changes nothing a consent covers: only the retention of the essential record. */
const v3 = definePolicy({
  ...presets.gdpr,
  version: '3',
  categories: {
    ...withPurpose,
    essential: { ...withPurpose.essential, retention: 'P2Y' },
  },
});

const dir = mkdtempSync(join(tmpdir(), 'epl-ledger-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * One site whose logger can be replaced, as a deploy of a new policy version replaces it, while
 * the browser (a supertest agent, which keeps and expires cookies) stays the same.
 */
function site() {
  let current: { log: ReturnType<typeof privacyLog>; router: RequestHandler } | undefined;
  const app = express();
  app.use((req, res, next) => current!.log(req, res, next));
  app.use((req, res, next) => current!.router(req, res, next));
  app.get('/', (_req, res) => {
    res.send('home');
  });
  const use = (policy: typeof v1, store: Store, consent?: () => boolean | undefined) => {
    const log = privacyLog({
      policy,
      store,
      secret: SECRET,
      warnings: false,
      logger: spyLogger(),
      batch: { maxDelayMs: 5 },
      ...(consent ? { consent } : {}),
    });
    current = { log, router: log.router({ notice: { site: 'Example Shop' } }) };
    return log;
  };
  return { agent: request.agent(app), use };
}

describe.each([
  ['MemoryStore', () => new MemoryStore()],
  ['SqliteStore', () => new SqliteStore({ path: join(dir, `ledger-${Math.random()}.sqlite`) })],
] as const)('the consent ledger in %s', (_name, makeStore) => {
  it('records each change of choice with its policy version and notice hash; a version that adds a purpose asks again', async () => {
    const store = makeStore();
    const { agent, use } = site();

    let log = use(v1, store);
    const noticeV1 = noticeHash((await agent.get('/privacy/notice?format=markdown')).text);
    const optIn = await agent.post('/privacy/opt-in').expect(200);
    expect(optIn.body.consent).toBe(true);
    await agent.get('/');
    await log.flush();
    const first = (await agent.get('/privacy/my-data')).body;
    expect(
      first.records.some((r: { record: { nonessential?: object } }) => r.record.nonessential),
    ).toBe(true);
    expect(first.consents).toHaveLength(1);
    await log.close();

    // The new version adds a purpose under consent: the consent cookie no longer counts.
    log = use(v2, store);
    const noticeV2 = noticeHash((await agent.get('/privacy/notice?format=markdown')).text);
    expect(noticeV2).not.toBe(noticeV1);
    const status = (await agent.get('/privacy/status')).body;
    expect(status).toMatchObject({ consent: false, analytics: false, consentOutdated: true });
    await agent.get('/');
    await log.flush();
    const again = await agent.post('/privacy/opt-in').expect(200);
    expect(again.body.consent).toBe(true);
    await agent.get('/');
    await log.flush();
    const mine = (await agent.get('/privacy/my-data')).body as { consents: ConsentEvent[] };
    expect(mine.consents.map((e) => [e.choice, e.policy, e.notice])).toEqual([
      ['in', 'gdpr@2', noticeV2],
    ]);
    await log.close();

    // A version that adds nothing to what consent covers keeps the consent.
    log = use(v3, store);
    expect((await agent.get('/privacy/status')).body).toMatchObject({
      consent: true,
      consentOutdated: false,
    });
    await agent.post('/privacy/opt-out').expect(200);
    await log.flush();
    const noticeV3 = noticeHash((await agent.get('/privacy/notice?format=markdown')).text);

    const events = await log.consents();
    expect(events.map((e) => [e.choice, e.previous, e.source, e.policy, e.notice])).toEqual([
      ['in', undefined, 'button', 'gdpr@1', noticeV1],
      ['in', undefined, 'button', 'gdpr@2', noticeV2],
      ['out', 'in', 'button', 'gdpr@3', noticeV3],
    ]);
    // Each is tied to the visitor id the browser had: the first consent's id went with it.
    expect(events[0]!.visitorId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(events[1]!.visitorId).not.toBe(events[0]!.visitorId);
    expect(events[2]!.visitorId).toBe(events[1]!.visitorId);
    for (const event of events) {
      expect(Date.parse(event.expires) - Date.parse(event.time)).toBe(3 * 365 * 86_400_000);
    }
    // The notice promises what the ledger does: how long an event is kept.
    const notice = (await agent.get('/privacy/notice?format=markdown')).text;
    expect(notice).toContain(`This record is kept ${3 * 365} days`);
    // The operator's export of the subject has the same events.
    const exported = await log.subjects.export({ visitorId: events[1]!.visitorId! });
    expect(exported.consents.map((e) => e.id)).toEqual([events[1]!.id, events[2]!.id]);
    await log.close();
  });

  it('records an honoured signal that overrides a consent, and the app’s consent function turning', async () => {
    const store = makeStore();
    const { agent, use } = site();
    let appSays: boolean | undefined = true;
    const log = use(v1, store, () => appSays);
    await agent.get('/');
    await agent.get('/'); // the consent now sticks: no second event
    appSays = undefined;
    await agent.get('/').set('Sec-GPC', '1');
    await agent.get('/').set('Sec-GPC', '1'); // the consent is ended: nothing more to withdraw
    expect((await agent.get('/privacy/status')).body.consent).toBe(false);
    appSays = true;
    await agent.get('/');
    appSays = false;
    await agent.get('/');
    await log.flush();
    const events = await log.consents();
    expect(events.map((e) => [e.choice, e.source, e.signal])).toEqual([
      ['in', 'app', undefined],
      ['out', 'signal', 'gpc'],
      ['in', 'app', undefined],
      ['out', 'app', undefined],
    ]);
    expect(events.every((e) => e.policy === 'gdpr@1' && /^[0-9a-f]{64}$/.test(e.notice))).toBe(
      true,
    );
    await log.close();
  });
});

describe('the notice', () => {
  it('says that each choice is recorded, what is kept, for how long, and that it is not erased', async () => {
    const { renderNotice } = await import('../../src/privacy/notice/notice.js');
    const text = renderNotice(presets.gdpr, {
      site: 'Example Shop',
      contact: 'privacy@example.org',
      routes: '/privacy',
      format: 'markdown',
    });
    expect(text).toContain('Each time you give, refuse or withdraw consent');
    expect(text).toContain('the version of this policy and a fingerprint of this notice');
    expect(text).toContain('This record is kept 1095 days');
    expect(text).toContain('is not erased with your other data');
  });
});
