import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { definePolicy, presets } from '../../src/index.js';
import { noticeDocument } from '../../src/privacy/notice/notice.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { makeApp, setCookies, storedAfter } from '../helpers/app.js';

/** Opt in, then visit a page and send the contact form; returns the browser's cookies. */
async function browse(app: Parameters<typeof request>[0]): Promise<string> {
  const optIn = await request(app).post('/privacy/opt-in').expect(200);
  let jar = setCookies(optIn)
    .map((c) => c.split(';')[0]!)
    .join('; ');
  const page = await request(app)
    .get('/')
    .set('Cookie', jar)
    .set('Referer', 'https://news.example/');
  const vid = setCookies(page).find((c) => c.startsWith('pl_vid='));
  if (vid) jar = `${jar}; ${vid.split(';')[0]}`;
  await request(app)
    .post('/contact')
    .set('Cookie', jar)
    .type('form')
    .send({ email: 'ada@example.org', name: 'Ada' });
  return jar;
}

const tied = (records: readonly { nonessential?: { visitorId?: string }; optional?: object }[]) =>
  records.filter((r) => r.nonessential?.visitorId !== undefined || r.optional !== undefined);

describe('withdrawal', () => {
  it('with erase (the gdpr default): nonessential and optional data are gone in every store', async () => {
    expect(presets.gdpr.choices.onWithdraw).toBe('erase');
    const store = new MemoryStore();
    const second = new MemoryStore();
    const { app: app2, log: log2 } = makeApp({
      policy: presets.gdpr,
      warnings: false,
      store: [store, second],
    });
    const jar = await browse(app2);
    const before = await storedAfter(log2, second);
    expect(tied(before).length).toBeGreaterThanOrEqual(2);
    expect(tied(store.records).length).toBe(tied(before).length);

    const res = await request(app2).post('/privacy/opt-out').set('Cookie', jar).expect(200);
    expect(res.body.withdrawal).toMatchObject({ action: 'erased', complete: true });
    expect(res.body.withdrawal.erased).toBeGreaterThanOrEqual(2);
    expect(res.body.withdrawal.message).toContain('were erased');
    await log2.flush();
    for (const s of [store, second]) {
      expect(tied(s.records)).toEqual([]);
      expect(JSON.stringify(s.records)).not.toContain('ada@example.org');
    }
    await log2.close();
  });

  it('with keep: the data stays, the answer says so, and erase=1 erases it in the same step', async () => {
    const keep = definePolicy({ ...presets.gdpr, name: 'keep', choices: { onWithdraw: 'keep' } });
    const { app, log, store } = makeApp({ policy: keep, warnings: false });
    const jar = await browse(app);
    const res = await request(app).post('/privacy/opt-out').set('Cookie', jar).expect(200);
    expect(res.body.withdrawal.action).toBe('kept');
    expect(res.body.withdrawal.message).toContain('erase=1');
    const kept = tied(await storedAfter(log, store));
    expect(kept.length).toBeGreaterThanOrEqual(2);

    const again = await request(app)
      .post('/privacy/opt-out?erase=1')
      .set('Cookie', jar)
      .expect(200);
    expect(again.body.withdrawal.action).toBe('erased');
    await log.flush();
    expect(tied(store.records)).toEqual([]);
    expect(JSON.stringify(store.records)).not.toContain('ada@example.org');
    await log.close();
  });

  it('without a visitor id, says that nothing is tied to the browser', async () => {
    const { app, log } = makeApp({ policy: presets.gdpr, warnings: false });
    const res = await request(app).post('/privacy/opt-out').expect(200);
    expect(res.body.withdrawal.action).toBe('none');
    await log.close();
  });

  it('the notice says what a withdrawal does to the data', () => {
    const keep = definePolicy({ ...presets.gdpr, name: 'keep', choices: { onWithdraw: 'keep' } });
    const say = (policy: typeof keep) =>
      JSON.stringify(noticeDocument(policy, { site: 'Shop', contact: 'a@b.example' }));
    expect(say(presets.gdpr)).toContain('tied to your visitor id are erased at once');
    expect(say(keep)).toContain(
      'kept until their time is up, unless you ask for them to be erased',
    );
  });
});
