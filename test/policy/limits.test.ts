import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { definePolicy, PolicyError, policyByRegion, presets, privacyLog } from '../../src/index.js';
import { isRegionalPolicy } from '../../src/policy/by-region.js';
import { isDefinedPolicy } from '../../src/policy/define.js';
import type { PolicyInput } from '../../src/policy/schema.js';
import { startupWarnings, Warnings } from '../../src/policy/warnings.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { makeApp, SECRET, spyLogger, storedAfter } from '../helpers/app.js';

function thrown(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return err as PolicyError;
  }
  throw new Error('expected a PolicyError');
}

const withCookie = (cookie: { name?: string; maxAge?: string }) =>
  definePolicy({ ...presets.gdpr, cookie: { ...presets.gdpr.cookie, ...cookie } });
const withChoices = (choices: { cookieName?: string; maxAge?: string }) =>
  definePolicy({ ...presets.gdpr, choices: { ...presets.gdpr.choices, ...choices } });

describe('cookie lifetimes are checked exactly, not rounded to days', () => {
  // 400 days is 34,560,000 seconds: the RFC 6265bis cap.
  it.each(['P400D', 'PT34560000S', 'PT9600H', 'P399DT86400S', 'P13M'])(
    '%s is at most 400 days and accepted',
    (maxAge) => {
      expect(withCookie({ maxAge }).cookie.maxAge).toBe(maxAge);
      expect(withChoices({ maxAge }).choices.maxAge).toBe(maxAge);
    },
  );

  it.each(['P400DT1S', 'PT34560001S', 'P400DT0H0M1S', 'PT9600H1S', 'P1Y35DT1S'])(
    '%s is one second over 400 days and refused for both cookies',
    (maxAge) => {
      const cookie = thrown(() => withCookie({ maxAge }));
      expect(cookie.key).toBe('policy.cookie.maxAge');
      expect(cookie.message).toContain('400 days');
      expect(cookie.message).toContain('34560001 seconds');
      expect(thrown(() => withChoices({ maxAge })).key).toBe('policy.choices.maxAge');
    },
  );

  it('a cookie that expires at once is refused: the opt-out would never be remembered', () => {
    expect(thrown(() => withChoices({ maxAge: 'PT0S' })).key).toBe('policy.choices.maxAge');
    expect(thrown(() => withCookie({ maxAge: 'P0D' })).key).toBe('policy.cookie.maxAge');
  });

  it('warns above 395 days (13 months as CNIL counts them) to the second', () => {
    const warnedFor = (maxAge: string) => {
      const logger = spyLogger();
      startupWarnings(new Warnings(logger, true), withCookie({ maxAge }), [SECRET], []);
      return logger.codes().includes('WRN_COOKIE_OVER_13_MONTHS');
    };
    expect(warnedFor('P395D')).toBe(false);
    expect(warnedFor('PT34128000S')).toBe(false);
    expect(warnedFor('P395DT1S')).toBe(true);
    expect(warnedFor('PT34128001S')).toBe(true);
    expect(warnedFor('P400D')).toBe(true);
  });
});

describe('durations are bounded so that every expiry is a date', () => {
  const gdpr = presets.gdpr;
  const retention = (value: string) =>
    definePolicy({
      ...gdpr,
      categories: {
        ...gdpr.categories,
        essential: { ...gdpr.categories.essential, retention: value },
        security: { ...gdpr.categories.security!, retention: value },
      },
    });

  it.each(['P999999999Y', 'PT1000000000000H', `P${'9'.repeat(400)}D`, 'P101Y', 'P36501D'])(
    'refuses %s at startup, naming the key and the limit',
    (value) => {
      const err = thrown(() => retention(value));
      expect(err.issues.map((i) => i.key)).toContain('policy.categories.essential.retention');
      expect(err.message).toContain('100 years');
      expect(err.message).toContain("'forever'");
    },
  );

  it('accepts up to 100 years and forever, and a record made with them has dates', async () => {
    for (const value of ['P100Y', 'P36500D', 'forever']) {
      const policy = definePolicy({ ...retention(value), name: `long-${value.toLowerCase()}` });
      const { app, log, store } = makeApp({ policy, warnings: false });
      expect((await request(app).get('/')).status).toBe(200);
      const [record] = await storedAfter(log, store);
      if (value === 'forever') expect(record!.expires.essential).toBeUndefined();
      else expect(Date.parse(record!.expires.essential!)).toBeGreaterThan(Date.now());
      await log.close();
    }
  });

  it('bounds every duration key, not only retentions', () => {
    const err = thrown(() =>
      definePolicy({
        ...gdpr,
        categories: {
          ...gdpr.categories,
          client: { ...gdpr.categories.client!, ip: { mode: 'hash', keyRotation: 'P999999999Y' } },
        },
        cookie: { maxAge: 'PT1000000000000H' },
      }),
    );
    expect(err.issues.map((i) => i.key).sort()).toEqual([
      'policy.categories.client.ip.keyRotation',
      'policy.cookie.maxAge',
    ]);
  });
});

describe('the two cookies of a policy must have different names', () => {
  it.each([
    ['pl_vid', 'pl_vid'],
    ['pl_vid', 'PL_VID'],
    ['Consent', 'consent'],
  ])('cookie.name %s and choices.cookieName %s clash', (name, cookieName) => {
    const err = thrown(() =>
      definePolicy({ ...presets.ccpa, cookie: { name }, choices: { cookieName } }),
    );
    expect(err.key).toBe('policy.choices.cookieName');
    expect(err.message).toContain('cookie.name');
  });

  it('distinct names are fine', () => {
    const policy = definePolicy({
      ...presets.ccpa,
      cookie: { name: 'site_vid' },
      choices: { cookieName: 'site_choice' },
    });
    expect(policy.choices.cookieName).toBe('site_choice');
  });
});

describe('only a policy made by definePolicy is trusted as defined', () => {
  const brand = Symbol.for('express-privacy-log.policy');
  // What another copy of the library, or anyone, can attach to an object.
  const forge = (policy: object) => ({ ...policy, [brand]: true }) as unknown as PolicyInput;

  it('a forged brand does not skip validation', () => {
    const client = {
      ...presets.gdpr.categories.client!,
      ip: { ...presets.gdpr.categories.client!.ip, ipv4Prefix: 32, ipv6Prefix: 128 },
    };
    const forged = forge({ ...presets.gdpr, categories: { ...presets.gdpr.categories, client } });
    expect(isDefinedPolicy(forged)).toBe(false);
    expect(thrown(() => definePolicy(forged)).key).toBe('policy.categories.client.ip.ipv4Prefix');
    expect(
      thrown(() => privacyLog({ policy: forged, store: new MemoryStore(), secret: SECRET })).key,
    ).toBe('policy.categories.client.ip.ipv4Prefix');
  });

  it('a forged policy without defaults gets them filled in, and stores no full address', async () => {
    const { ip: _ip, ...clientWithoutIp } = presets.gdpr.categories.client!;
    const { signals: _s, cookie: _c, choices: _ch, ...rest } = presets.gdpr;
    const forged = forge({
      ...rest,
      name: 'forged',
      categories: { ...presets.gdpr.categories, client: clientWithoutIp },
    });
    const defined = definePolicy(forged);
    expect(defined).not.toBe(forged);
    expect(isDefinedPolicy(defined)).toBe(true);
    expect(defined.categories.client?.ip).toMatchObject({ mode: 'truncate', ipv4Prefix: 24 });
    expect(defined.signals).toEqual({ gpc: true, dnt: true });

    const { app, log, store } = makeApp({ policy: forged, warnings: false });
    await request(app).get('/').set('X-Forwarded-For', '203.0.113.77');
    const [record] = await storedAfter(log, store);
    expect(record!.client?.ip).toBe('203.0.113.0');
    expect(JSON.stringify(record)).not.toContain('203.0.113.77');
    await log.close();
  });

  it('an object that looks like policyByRegion output is not trusted either', () => {
    const client = {
      ...presets.gdpr.categories.client!,
      ip: { ...presets.gdpr.categories.client!.ip, ipv4Prefix: 32 },
    };
    const unvalidated = { ...presets.gdpr, categories: { ...presets.gdpr.categories, client } };
    const lookalike = {
      kind: 'by-region',
      policies: [unvalidated],
      keys: new Map([['default', 0]]),
      unknown: 0,
      fallback: 0,
    };
    expect(isRegionalPolicy(lookalike)).toBe(false);
    expect(isRegionalPolicy(policyByRegion({ default: presets.gdpr }))).toBe(true);
    expect(() =>
      privacyLog({ policy: lookalike as never, store: new MemoryStore(), secret: SECRET }),
    ).toThrow(PolicyError);
  });

  it('a policy from definePolicy and every preset are trusted as they are', () => {
    const mine = definePolicy({ ...presets.gdpr, name: 'mine' });
    expect(definePolicy(mine)).toBe(mine);
    for (const preset of Object.values(presets)) expect(isDefinedPolicy(preset)).toBe(true);
    // A copy is not the defined object any more, and is validated again.
    expect(isDefinedPolicy({ ...mine })).toBe(false);
    expect(definePolicy({ ...mine })).toEqual(mine);
  });
});
