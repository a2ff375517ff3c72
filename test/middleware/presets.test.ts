import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { presets } from '../../src/index.js';
import type { AccessRecord } from '../../src/record.js';
import { makeApp, setCookies, storedAfter } from '../helpers/app.js';
import { consentCookie } from '../helpers/consent.js';

/** The client address a trusted proxy reports, and a referrer with a query that must never be kept. */
const CLIENT = '8.8.8.8';
const REFERER = 'https://search.example/results?q=my+secret+search';

const scenarios = {
  'no signal': {},
  GPC: { 'Sec-GPC': '1' },
  DNT: { DNT: '1' },
  'opt-out': { Cookie: 'pl_choice=out' },
  'consent given': { Cookie: consentCookie() },
} as const satisfies Record<string, Record<string, string>>;
type Scenario = keyof typeof scenarios;

interface Expectation {
  /** Whether nonessential data (and the analytics cookie) is recorded in each scenario. */
  analytics: Record<Scenario, boolean>;
  ip: string | undefined;
  referrer: string;
  cookie: boolean;
  /** Optional data: kept unless objected to, kept only with consent, or never declared. */
  optional: 'unless-objection' | 'with-consent' | false;
  geo: boolean;
}

const optOut = {
  'no signal': true,
  GPC: false,
  DNT: false,
  'opt-out': false,
  'consent given': true,
};
const optIn = {
  'no signal': false,
  GPC: false,
  DNT: false,
  'opt-out': false,
  'consent given': true,
};
const never = {
  'no signal': false,
  GPC: false,
  DNT: false,
  'opt-out': false,
  'consent given': false,
};

const expectations: Record<keyof typeof presets, Expectation> = {
  classic: {
    analytics: optOut,
    ip: CLIENT,
    referrer: 'https://search.example/results',
    cookie: true,
    optional: 'unless-objection',
    geo: true,
  },
  gdpr: {
    analytics: optIn,
    ip: '8.8.8.0',
    referrer: 'https://search.example',
    cookie: true,
    optional: 'with-consent',
    geo: true,
  },
  ccpa: {
    analytics: optOut,
    ip: '8.8.8.0',
    referrer: 'https://search.example',
    cookie: true,
    optional: 'unless-objection',
    geo: true,
  },
  cnil: {
    analytics: optOut,
    ip: '8.8.0.0',
    referrer: 'https://search.example',
    cookie: true,
    optional: false,
    geo: true,
  },
  cookieless: {
    analytics: optOut,
    ip: '8.8.8.0',
    referrer: 'https://search.example',
    cookie: false,
    optional: false,
    geo: true,
  },
  strict: {
    analytics: never,
    ip: undefined,
    referrer: '',
    cookie: false,
    optional: false,
    geo: false,
  },
};

describe.each(Object.keys(expectations) as (keyof typeof presets)[])('preset %s', (name) => {
  const expected = expectations[name];
  const { app, log, store } = makeApp({ policy: presets[name], warnings: false });
  afterAll(() => log.close());

  describe.each(Object.keys(scenarios) as Scenario[])('%s', (scenario) => {
    const headers = scenarios[scenario];
    const analytics = expected.analytics[scenario];
    const objection = scenario === 'GPC' || scenario === 'DNT' || scenario === 'opt-out';

    async function visit(
      path: string,
      form?: Record<string, string>,
    ): Promise<{ record: AccessRecord; cookies: string[] }> {
      const before = store.records.length;
      const req = form ? request(app).post(path).type('form').send(form) : request(app).get(path);
      const res = await req
        .set('X-Forwarded-For', CLIENT)
        .set('Referer', REFERER)
        .set('User-Agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0')
        .set(headers);
      expect(res.status).toBe(200);
      const records = await storedAfter(log, store);
      expect(records.length).toBe(before + 1);
      return { record: records.at(-1)!, cookies: setCookies(res) };
    }

    it('stores what the policy and the choice allow, and nothing else', async () => {
      const { record, cookies } = await visit('/products/42?utm_source=x&session=abc');
      const text = JSON.stringify(record);
      expect(record.policy).toBe(`${name}@1`);
      expect(record.essential).toMatchObject({
        method: 'GET',
        path: '/products/42',
        route: '/products/:id',
        status: 200,
      });
      expect(record.essential.browser?.name).toBe('Firefox');
      expect(text).not.toContain('session=abc');
      expect(text).not.toContain('my+secret');
      expect(text).not.toContain('q=');

      // Client information: the raw address only where the policy keeps it in full.
      // The address rests on legitimate interests in every preset: an objection removes it.
      if (expected.ip === undefined || objection) expect(record.client).toBeUndefined();
      else expect(record.client?.ip).toBe(expected.ip);
      if (expected.ip !== CLIENT || objection) expect(text).not.toContain(CLIENT);
      // No enrichment beyond what the essential category needs under an objection.
      if (expected.geo && !objection) expect(record.client?.geo?.country).toBe('US');
      else expect(record.client?.geo).toBeUndefined();
      // The seed's domain and registered company: classic only, and not under an objection.
      if (name === 'classic' && !objection) {
        expect(record.client).toMatchObject({ domain: 'dns.google', company: 'Google LLC' });
      } else {
        expect(record.client?.domain).toBeUndefined();
        expect(record.client?.company).toBeUndefined();
      }
      expect(text).not.toMatch(/"ll"|latitude|longitude/);

      // Nonessential: referrer and visitor id, absent (not empty) when not allowed.
      expect(record.consent.analytics).toBe(analytics);
      if (analytics) {
        expect(record.nonessential?.referrer).toBe(expected.referrer);
        expect(record.nonessential?.visitorId).toMatch(/^[A-Za-z0-9_-]{22}$/);
        expect(record.consent.basis).toBe(
          scenario === 'consent given' && name === 'gdpr' ? 'consent' : 'opt-out',
        );
      } else {
        expect(record).not.toHaveProperty('nonessential');
        expect(text).not.toContain('search.example');
        expect(record.consent.basis).toBe('none');
      }
      expect(record.consent.gpc).toBe(scenario === 'GPC');
      expect(record.consent.dnt).toBe(scenario === 'DNT');

      // The analytics cookie is set exactly when analytics is allowed and the policy uses one.
      const visitorCookies = cookies.filter((c) => c.startsWith('pl_vid='));
      if (analytics && expected.cookie) {
        expect(visitorCookies).toHaveLength(1);
        expect(visitorCookies[0]).toContain(record.nonessential!.visitorId!);
      } else {
        expect(visitorCookies).toEqual([]);
      }
      // A category kept 'forever' has no expiry; every other present category has one.
      if (name === 'classic') expect(record.expires).toEqual({});
      else expect(Date.parse(record.expires.essential!)).toBeGreaterThan(Date.now());
    });

    it('keeps optional data only where declared, on its basis', async () => {
      const { record } = await visit('/contact', {
        email: 'ada@example.org',
        password: 'hunter2',
        name: 'Ada',
      });
      const text = JSON.stringify(record);
      expect(text).not.toContain('hunter2');
      const kept =
        !objection &&
        (expected.optional === 'unless-objection' ||
          (expected.optional === 'with-consent' && scenario === 'consent given'));
      if (kept) {
        expect(record.optional?.email).toBe('ada@example.org');
      } else {
        expect(record).not.toHaveProperty('optional');
        expect(text).not.toContain('ada@example.org');
      }
    });
  });
});
