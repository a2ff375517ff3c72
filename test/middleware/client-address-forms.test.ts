import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { definePolicy, presets } from '../../src/index.js';
import type { AccessRecord } from '../../src/record.js';
import { ADDRESS_FORMS } from '../helpers/address-forms.js';
import { makeApp, storedAfter } from '../helpers/app.js';
import { consentCookie } from '../helpers/consent.js';

type App = ReturnType<typeof makeApp>;

/** The record of one request whose `req.ip` (through a trusted proxy) is `forwarded`. */
async function recordFor(
  { app, log, store }: App,
  forwarded: string,
  path = '/products/7',
): Promise<AccessRecord> {
  const before = store.records.length;
  const res = await request(app)
    .get(path)
    .set('X-Forwarded-For', forwarded)
    .set('Cookie', consentCookie());
  expect(res.status).toBeLessThan(500);
  const records = await storedAfter(log, store);
  expect(records.length).toBe(before + 1);
  return records.at(-1)!;
}

/**
 * A record's text without what differs from run to run and says nothing of the client: the Host
 * header, which names the test server's own random port (one such as 44335 contains ':443'), and
 * the random or measured values (the record id, a visitor id, the time, the duration), whose
 * digits can happen to hold '8888' or '61234'. What is left must not hold the client's port.
 */
function stableText(record: AccessRecord): string {
  const nonessential = record.nonessential && { ...record.nonessential, visitorId: undefined };
  return JSON.stringify({
    ...record,
    id: undefined,
    time: undefined,
    essential: { ...record.essential, host: undefined, durationMs: undefined },
    nonessential,
  });
}

describe('X-Forwarded-For with a port or brackets (Express passes it on as req.ip)', () => {
  const truncating = makeApp({ policy: presets.gdpr, warnings: false });
  const full = makeApp({ policy: presets.classic, warnings: false });
  afterAll(async () => {
    await truncating.log.close();
    await full.log.close();
  });

  it('keeps the address and its location, and never the port', async () => {
    const v4 = await recordFor(truncating, '8.8.8.8:61234');
    expect(v4.client?.ip).toBe('8.8.8.0');
    expect(v4.client?.geo?.country).toBe('US');
    const v6 = await recordFor(truncating, '[2001:4860:4860::8888]:443');
    expect(v6.client?.ip).toBe('2001:4860:4860::');
    expect(v6.client?.geo?.country).toBe('US');
    for (const record of [v4, v6]) {
      const text = stableText(record);
      expect(text).not.toContain('61234');
      expect(text).not.toContain('8.8.8.8');
      expect(text).not.toContain(':443');
      expect(text).not.toContain('8888');
    }
  });

  it('stores the address without the port where the policy keeps it in full', async () => {
    const v4 = await recordFor(full, '8.8.8.8:61234');
    expect(v4.client?.ip).toBe('8.8.8.8');
    expect(v4.client?.geo?.country).toBe('US');
    expect(stableText(v4)).not.toContain('61234');
    const v6 = await recordFor(full, '[2001:4860:4860::8888]:443');
    expect(v6.client?.ip).toBe('2001:4860:4860::8888');
    expect(stableText(v6)).not.toContain(':443');
  });
});

describe.each(ADDRESS_FORMS)('address form through the middleware: %s', (_name, form) => {
  const truncating = makeApp({ policy: presets.gdpr, warnings: false });
  const full = makeApp({ policy: presets.classic, warnings: false });
  afterAll(async () => {
    await truncating.log.close();
    await full.log.close();
  });

  it('is stored truncated as the table says, and the raw form never', async () => {
    const record = await recordFor(truncating, form.raw);
    expect(record.client?.ip).toBe(form.truncated);
    const text = JSON.stringify(record).toLowerCase();
    if (form.raw !== form.truncated) expect(text).not.toContain(form.raw.toLowerCase());
    if (form.full !== undefined && form.full !== form.truncated) {
      expect(text).not.toContain(form.full.toLowerCase());
    }
  });

  it('is stored in full, without port or brackets, where the policy says so', async () => {
    const record = await recordFor(full, form.raw);
    expect(record.client?.ip).toBe(form.full);
  });
});

// Client 8.8.8.8 written as each IPv6 form that carries it.
const CARRIERS = [
  '8.8.8.8',
  '::ffff:8.8.8.8',
  '::808:808',
  '::ffff:0:808:808',
  '2002:808:808::1',
  '2002:808:808:1234:5678:9abc:def0:1',
  '64:ff9b::8.8.8.8',
  // Teredo: server 203.0.113.1, the client's bits inverted.
  '2001:0:cb00:7101:8000:63bf:f7f7:f7f7',
];

describe('an IPv6 form that carries an IPv4 client is minimised as that client, in every mode', () => {
  const hashing = definePolicy({
    ...presets.gdpr,
    name: 'hashed-full-lookups',
    categories: {
      ...presets.gdpr.categories,
      client: {
        ...presets.gdpr.categories.client!,
        ip: { mode: 'hash' },
        geo: 'country',
        domain: true,
        company: true,
        enrichFromFullAddress: true,
      },
    },
  });
  const lookups = definePolicy({
    ...presets.gdpr,
    name: 'truncated-lookups',
    categories: {
      ...presets.gdpr.categories,
      client: { ...presets.gdpr.categories.client!, domain: true, company: true },
    },
  });
  const asked: string[] = [];
  const enrich = {
    reverse: (address: string) => {
      asked.push(address);
      return [`host.${address.replaceAll(/[.:]/g, '-')}.example.net`];
    },
    company: (address: string) => `AS of ${address}`,
  };
  const apps = {
    truncate: makeApp({ policy: presets.gdpr, warnings: false }),
    hash: makeApp({ policy: hashing, warnings: false, enrich }),
  };
  afterAll(async () => {
    for (const app of Object.values(apps)) await app.log.close();
  });

  it('truncation, hash, security pseudonym and geo equal those of the IPv4 client', async () => {
    const expected = {
      truncated: (await recordFor(apps.truncate, '8.8.8.8')).client,
      pseudonym: (await recordFor(apps.truncate, '8.8.8.8', '/attack')).security?.ip,
      hashed: (await recordFor(apps.hash, '8.8.8.8')).client?.ip,
    };
    expect(expected.truncated).toMatchObject({ ip: '8.8.8.0', geo: { country: 'US' } });
    expect(expected.pseudonym).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(expected.hashed).toBeTruthy();
    for (const raw of CARRIERS) {
      expect((await recordFor(apps.truncate, raw)).client).toEqual(expected.truncated);
      expect((await recordFor(apps.truncate, raw, '/attack')).security?.ip).toBe(
        expected.pseudonym,
      );
      const hashed = await recordFor(apps.hash, raw);
      expect(hashed.client?.ip).toBe(expected.hashed);
      expect(hashed.client?.geo?.country).toBe('US');
    }
  });

  it('reverse DNS and company lookups get the IPv4 address, truncated unless the policy allows the full one', async () => {
    for (const raw of CARRIERS) {
      // Fresh apps: the lookups cache their answers per address.
      const truncating = makeApp({ policy: lookups, warnings: false, enrich });
      const fullLookups = makeApp({ policy: hashing, warnings: false, enrich });
      asked.length = 0;
      const truncated = await recordFor(truncating, raw);
      expect(asked).toEqual(['8.8.8.0']);
      expect(truncated.client).toMatchObject({ ip: '8.8.8.0', company: 'AS of 8.8.8.0' });
      asked.length = 0;
      const full = await recordFor(fullLookups, raw);
      expect(asked).toEqual(['8.8.8.8']);
      expect(full.client?.company).toBe('AS of 8.8.8.8');
      await truncating.log.close();
      await fullLookups.log.close();
    }
  });
});
