import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { definePolicy, PolicyError, policyByRegion, presets } from '../../src/index.js';
import { mostProtective, regionIndex } from '../../src/policy/by-region.js';
import { makeApp, setCookies, storedAfter } from '../helpers/app.js';

describe('policyByRegion picks the policy per request from where the address is', () => {
  const { app, log, store } = makeApp({
    policy: policyByRegion({ EU: presets.gdpr, 'US-CA': presets.ccpa, default: presets.classic }),
    warnings: false,
  });
  afterAll(() => log.close());

  it.each([
    ['193.99.144.80', 'DE, an EU member', 'gdpr@1'],
    ['2a00:1450:4001:82b::200e', 'DE over IPv6', 'gdpr@1'],
    ['81.2.69.142', 'GB, in the EU key with the EEA and CH', 'gdpr@1'],
    ['46.140.0.1', 'CH', 'gdpr@1'],
    ['13.52.0.1', 'US, California', 'ccpa@1'],
    ['23.21.0.1', 'US, Virginia: no key, so default', 'classic@1'],
    ['8.8.8.8', 'US without a region: default', 'classic@1'],
    ['133.242.0.1', 'JP: default', 'classic@1'],
    ['10.0.0.1', 'a private address: unknown, so the most protective given', 'gdpr@1'],
    ['fd00::1', 'a unique local IPv6 address: unknown', 'gdpr@1'],
  ])('%s (%s) is governed by %s, which the record names', async (address, _where, policy) => {
    const res = await request(app).get('/').set('X-Forwarded-For', address);
    const record = (await storedAfter(log, store)).at(-1)!;
    expect(record.policy).toBe(policy);
    // Each policy decides with its own state: gdpr sets no cookie before consent, the others do.
    const cookie = setCookies(res).some((line) => line.startsWith('pl_vid='));
    expect(cookie).toBe(policy !== 'gdpr@1');
  });

  it("the privacy routes answer for the policy of the visitor's region", async () => {
    const eu = await request(app).get('/privacy/status').set('X-Forwarded-For', '193.99.144.80');
    const jp = await request(app).get('/privacy/status').set('X-Forwarded-For', '133.242.0.1');
    expect(eu.body.policy).toBe('gdpr@1');
    expect(jp.body.policy).toBe('classic@1');
  });
});

describe('region keys', () => {
  const regional = policyByRegion({
    EU: presets.gdpr,
    US: presets.ccpa,
    'US-CA': presets.cookieless,
    FR: presets.strict,
    default: presets.classic,
    unknown: presets.strict,
  });
  const name = (index: number) => regional.policies[index]!.name;

  it('the most specific key wins: subdivision, country, EU, default', () => {
    expect(name(regionIndex(regional, 'US', 'CA'))).toBe('cookieless');
    expect(name(regionIndex(regional, 'US', 'VA'))).toBe('ccpa');
    expect(name(regionIndex(regional, 'US', undefined))).toBe('ccpa');
    expect(name(regionIndex(regional, 'FR', 'IDF'))).toBe('strict');
    expect(name(regionIndex(regional, 'DE', 'HE'))).toBe('gdpr');
    for (const country of ['NO', 'IS', 'LI', 'GB', 'CH']) {
      expect(name(regionIndex(regional, country, undefined))).toBe('gdpr');
    }
    expect(name(regionIndex(regional, 'BR', undefined))).toBe('classic');
    expect(name(regionIndex(regional, undefined, undefined))).toBe('strict');
  });

  it('unknown is the most protective policy given, unless named', () => {
    expect(mostProtective([presets.classic, presets.ccpa, presets.gdpr])).toBe(2);
    expect(mostProtective([presets.gdpr, presets.strict])).toBe(1);
    const chosen = policyByRegion({ US: presets.ccpa, default: presets.classic });
    expect(chosen.policies[chosen.unknown]!.name).toBe('ccpa');
  });

  it('a policy given twice is one policy with one state', () => {
    const twice = policyByRegion({ EU: presets.gdpr, GB: presets.gdpr, default: presets.classic });
    expect(twice.policies).toHaveLength(2);
  });

  it('bad keys and clashing names fail at startup, naming the key', () => {
    expect(() => policyByRegion({ Europe: presets.gdpr })).toThrow(PolicyError);
    expect(() => policyByRegion({ 'us-ca': presets.gdpr })).toThrow(/policyByRegion\.us-ca/);
    const other = definePolicy({ ...presets.ccpa, name: 'gdpr' });
    expect(() => policyByRegion({ EU: presets.gdpr, US: other })).toThrow(/distinct name/);
    expect(() => policyByRegion({})).toThrow(PolicyError);
    expect(() =>
      policyByRegion({ EU: { ...presets.gdpr, cookie: { maxAge: 'P5Y' } } as never }),
    ).toThrow(/policyByRegion\.EU\.cookie\.maxAge/);
  });
});
