import express from 'express';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { presets, privacyLog } from '../../src/index.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { SECRET, storedAfter } from '../helpers/app.js';
import { consentCookie } from '../helpers/consent.js';

const UUID = '3f2504e0-4f89-11d3-9a0c-030512345678';

describe.each(['classic', 'gdpr'] as const)('what %s stores of paths and referrers', (preset) => {
  const store = new MemoryStore();
  const log = privacyLog({ policy: presets[preset], store, secret: SECRET, warnings: false });
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use(log);
  app.get('/orders/:id', (_req, res) => {
    res.send('order');
  });
  afterAll(() => log.close());

  async function visit(path: string, referer?: string) {
    const req = request(app).get(path).set('Cookie', consentCookie());
    if (referer !== undefined) req.set('Referer', referer);
    await req;
    return (await storedAfter(log, store)).at(-1)!;
  }

  it('a matched route keeps no part of a UUID', async () => {
    const record = await visit(`/orders/${UUID}`);
    expect(record.essential.route).toBe('/orders/:id');
    for (const part of UUID.split('-')) expect(record.essential.path).not.toContain(part);
  });

  it('keeps image file names, redacts e-mail addresses and IP addresses', async () => {
    expect((await visit('/img/logo@2x.png')).essential.path).toBe('/img/logo@2x.png');
    expect((await visit('/u/jane.doe@example.com')).essential.path).toBe('/u/:email');
    expect((await visit('/ip/203.0.113.77')).essential.path).toBe('/ip/:id');
    expect((await visit('/peer/2001%3Adb8%3A%3A1')).essential.path).toBe('/peer/:id');
  });

  it('a referrer path is redacted as a request path is', async () => {
    const referer = `https://other.example/u/jane.doe@example.com/orders/${UUID};jsessionid=ABC123/ip/203.0.113.77?q=secret#top`;
    const record = await visit('/', referer);
    const stored = record.nonessential?.referrer;
    if (preset === 'classic') {
      expect(stored).toBe('https://other.example/u/:email/orders/:id;jsessionid=[redacted]/ip/:id');
    } else expect(stored).toBe('https://other.example');
    const text = JSON.stringify(record);
    for (const secret of ['jane', 'ABC123', '203.0.113', 'secret', 'top', '4f89']) {
      expect(text).not.toContain(secret);
    }
  });
});
