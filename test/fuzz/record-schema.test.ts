import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presets } from '../../src/index.js';
import type { AccessRecord } from '../../src/record.js';
import { accessRecordSchema } from '../../src/record-schema.js';
import { fakeReverse, makeApp, storedAfter } from '../helpers/app.js';
import { consentCookie } from '../helpers/consent.js';

/** Records of every shape the middleware writes: each preset, optional data, an incident. */
async function realRecords(): Promise<AccessRecord[]> {
  const out: AccessRecord[] = [];
  for (const name of ['classic', 'gdpr', 'ccpa', 'cookieless', 'strict'] as const) {
    const { app, log, store } = makeApp({
      policy: presets[name],
      warnings: false,
      enrich: { reverse: fakeReverse, company: () => 'Example Networks' },
    });
    const ua =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
    const from = (agent: request.Test) =>
      agent
        .set('X-Forwarded-For', '2001:db8:1234:5678::9')
        .set('User-Agent', ua)
        .set('Referer', 'https://news.example/story')
        .set('Cookie', consentCookie());
    await from(request(app).get('/products/12?utm=x'));
    await from(request(app).post('/contact')).type('form').send({ email: 'a@b.example' });
    await from(request(app).get('/attack'));
    await from(request(app).get('/')).set('X-Forwarded-For', '8.8.8.8');
    out.push(...(await storedAfter(log, store)));
    await log.close();
  }
  return out;
}

type Change = (r: AccessRecord & Record<string, unknown>) => void;
const CHANGES: [string, Change][] = [
  ['an unknown top-level key', (r) => Object.assign(r, { extra: 1 })],
  ['an unknown key in consent', (r) => Object.assign(r.consent, { sale: true })],
  ['an unknown key in essential', (r) => Object.assign(r.essential, { query: '?q=1' })],
  ['an unknown key in browser', (r) => Object.assign(r.essential.browser!, { full: '1.2' })],
  ['an unknown key in client', (r) => Object.assign(r.client!, { lat: 52.5 })],
  ['an unknown key in geo', (r) => Object.assign(r.client!.geo!, { lon: 13 })],
  ['an unknown key in expires', (r) => Object.assign(r.expires, { rollup: r.time })],
  ['version 2', (r) => Object.assign(r, { v: 2 })],
  ['an id that is no UUIDv7', (r) => Object.assign(r, { id: 'forged' })],
  ['a local time', (r) => Object.assign(r, { time: '2025-06-01T12:00:00+02:00' })],
  ['no essential category', (r) => Reflect.deleteProperty(r, 'essential')],
  ['an explicit undefined', (r) => Object.assign(r.essential, { route: undefined })],
  ['an empty browser name', (r) => Object.assign(r.essential, { browser: { name: '' } })],
  ['a raw line break in the path', (r) => Object.assign(r.essential, { path: '/a\n{"v":1}' })],
  [
    'a C1 control in the referrer',
    (r) => Object.assign(r, { nonessential: { referrer: 'https://x.example/\u0085' } }),
  ],
  ['U+2028 in an optional field', (r) => Object.assign(r, { optional: { email: 'a\u2028b' } })],
  [
    'a path over 2048 characters',
    (r) => Object.assign(r.essential, { path: `/${'a'.repeat(2048)}` }),
  ],
  ['an unknown device class', (r) => Object.assign(r.essential, { device: 'fridge' })],
  ['a fractional status', (r) => Object.assign(r.essential, { status: 200.5 })],
  ['a negative duration', (r) => Object.assign(r.essential, { durationMs: -1 })],
  ['an IPv4-mapped address', (r) => Object.assign(r, { client: { ip: '::ffff:203.0.113.0' } })],
  ['an expanded IPv6 address', (r) => Object.assign(r, { client: { ip: '2001:0db8::' } })],
  ['an address with a port', (r) => Object.assign(r, { client: { ip: '203.0.113.0:443' } })],
  [
    'a visitor id of the wrong length',
    (r) => Object.assign(r, { nonessential: { visitorId: 'abc' } }),
  ],
  [
    'a referrer that is no http URL',
    (r) => Object.assign(r, { nonessential: { referrer: 'javascript:alert(1)' } }),
  ],
  [
    'a security record without reasons',
    (r) => Object.assign(r, { security: { reasons: [], hold: false } }),
  ],
  ['an upper-case host', (r) => Object.assign(r.essential, { host: 'Example.COM' })],
  ['an unknown consent basis', (r) => Object.assign(r.consent, { basis: 'implied' })],
];

describe('the record schema', () => {
  let records: AccessRecord[] = [];
  beforeAll(async () => {
    records = await realRecords();
  });
  afterAll(() => {
    records = [];
  });

  it('accepts every record the middleware writes, with every category', () => {
    expect(records.length).toBe(20);
    for (const record of records) {
      expect(accessRecordSchema.safeParse(record).error?.issues, JSON.stringify(record)).toBe(
        undefined,
      );
    }
    const keys = new Set(records.flatMap((r) => Object.keys(r)));
    for (const category of ['client', 'nonessential', 'optional', 'security']) {
      expect(keys).toContain(category);
    }
    // The full, truncated and pseudonymous address forms, and both visitor id kinds, were seen.
    const ips = records.map((r) => r.client?.ip).filter((ip) => ip !== undefined);
    expect(ips).toEqual(expect.arrayContaining(['8.8.8.8', '8.8.8.0', '2001:db8:1234::']));
  });

  it.each(CHANGES)('refuses a record with %s', (_what, change) => {
    const record = structuredClone(
      records.find((r) => r.policy === 'classic@1' && r.client?.geo && r.essential.browser)!,
    );
    expect(accessRecordSchema.safeParse(record).success).toBe(true);
    change(record as AccessRecord & Record<string, unknown>);
    expect(accessRecordSchema.safeParse(record).success).toBe(false);
  });
});
