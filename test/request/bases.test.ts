import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { definePolicy, PolicyError, presets } from '../../src/index.js';
import type { Category } from '../../src/record.js';
import { makeApp, storedAfter } from '../helpers/app.js';
import { consentCookie } from '../helpers/consent.js';

const CATEGORIES = ['client', 'essential', 'nonessential', 'optional', 'security'] as const;

/** A policy with every category, each under the basis given (essential stays on legitimate interests). */
function everyCategory(
  bases: Partial<Record<Category, 'consent' | 'legitimate-interests' | 'contract'>>,
) {
  const p = presets.gdpr;
  return definePolicy({
    ...p,
    name: 'bases',
    categories: {
      client: { ...p.categories.client!, basis: bases.client ?? 'legitimate-interests' },
      essential: p.categories.essential,
      nonessential: {
        ...p.categories.nonessential!,
        basis: (bases.nonessential as 'consent' | 'legitimate-interests') ?? 'consent',
      },
      optional: { ...p.categories.optional!, basis: bases.optional ?? 'consent' },
      security: { ...p.categories.security!, basis: bases.security ?? 'legitimate-interests' },
    },
  });
}

/** Visit the contact form of an attack page with the given headers; return the stored record. */
async function visit(policy: ReturnType<typeof definePolicy>, headers: Record<string, string>) {
  const { app, log, store } = makeApp({ policy, warnings: false });
  try {
    await request(app)
      .post('/contact')
      .type('form')
      .send({ email: 'ada@example.org', name: 'Ada' })
      .set('X-Forwarded-For', '8.8.8.8')
      .set('Referer', 'https://search.example/')
      .set(headers);
    const status = await request(app).get('/privacy/status').set(headers);
    const records = await storedAfter(log, store);
    const record = records.find((r) => r.essential.path === '/contact')!;
    return {
      record,
      status: status.body as {
        bases: { category: string; basis: string; recorded: boolean; reason: string }[];
      },
    };
  } finally {
    await log.close();
  }
}

/** The consent cookie that `policy` sets on opt-in. */
const CONSENT = (policy: Parameters<typeof consentCookie>[0]) => ({
  Cookie: consentCookie(policy),
});
const OBJECTIONS = {
  GPC: { 'Sec-GPC': '1' },
  DNT: { DNT: '1' },
  'opt-out': { Cookie: 'pl_choice=out' },
  // Whatever the consent cookie covers, the signal withdraws it.
  'GPC over consent': { Cookie: 'pl_choice=in', 'Sec-GPC': '1' },
};

describe.each(Object.keys(presets) as (keyof typeof presets)[])('preset %s', (name) => {
  const policy = presets[name];
  const declared = CATEGORIES.filter((c) => policy.categories[c] !== undefined);

  for (const category of declared) {
    const basis = policy.categories[category]!.basis;
    if (basis === 'consent') {
      it(`${category} (consent): absent without consent, present with it`, async () => {
        const without = await visit(policy, {});
        expect(without.record[category]).toBeUndefined();
        const withIt = await visit(policy, CONSENT(policy));
        expect(withIt.record[category]).toBeDefined();
        for (const headers of Object.values(OBJECTIONS)) {
          const objected = await visit(policy, headers);
          expect(objected.record[category]).toBeUndefined();
        }
      });
    } else if (
      basis === 'legitimate-interests' &&
      category !== 'essential' &&
      category !== 'security'
    ) {
      it(`${category} (legitimate interests): present without objection, absent after one`, async () => {
        const plain = await visit(policy, {});
        expect(plain.record[category]).toBeDefined();
        for (const headers of Object.values(OBJECTIONS)) {
          const objected = await visit(policy, headers);
          expect(objected.record[category]).toBeUndefined();
          expect(JSON.stringify(objected.record)).not.toContain('ada@example.org');
        }
      });
    }
  }

  it('the decision lists every declared category with its basis and why', async () => {
    const { status } = await visit(policy, {});
    expect(status.bases.map((b) => b.category).sort()).toEqual([...declared].sort());
    for (const entry of status.bases) {
      expect(entry.basis).toBe(policy.categories[entry.category as Category]!.basis);
    }
    const objected = await visit(policy, OBJECTIONS.GPC);
    const essential = objected.status.bases.find((b) => b.category === 'essential')!;
    expect(essential).toMatchObject({ recorded: true, reason: 'overriding-grounds' });
  });
});

describe('a policy of its own', () => {
  it('records the address under consent only with consent', async () => {
    const policy = everyCategory({ client: 'consent' });
    const without = await visit(policy, {});
    expect(without.record.client).toBeUndefined();
    expect(JSON.stringify(without.record)).not.toContain('8.8.8');
    expect(without.status.bases.find((b) => b.category === 'client')).toMatchObject({
      basis: 'consent',
      recorded: false,
      reason: 'no-consent',
    });
    const withIt = await visit(policy, CONSENT(policy));
    expect(withIt.record.client?.ip).toBe('8.8.8.0');
    expect(withIt.status.bases.find((b) => b.category === 'client')).toMatchObject({
      recorded: true,
      reason: 'consent',
    });
  });

  it('keeps optional data under consent only with consent (the app saying yes counts)', async () => {
    const policy = everyCategory({ optional: 'consent' });
    expect((await visit(policy, {})).record.optional).toBeUndefined();
    expect((await visit(policy, CONSENT(policy))).record.optional?.email).toBe('ada@example.org');
    const { app, log, store } = makeApp({ policy, warnings: false, consent: () => true });
    await request(app).post('/contact').type('form').send({ email: 'ada@example.org' });
    const [record] = await storedAfter(log, store);
    await log.close();
    expect(record!.optional?.email).toBe('ada@example.org');
    expect(record!.consent.basis).toBe('consent');
  });

  it('records a category on a basis independent of choice even after an objection', async () => {
    const policy = everyCategory({ optional: 'contract' });
    const objected = await visit(policy, OBJECTIONS.GPC);
    expect(objected.record.optional?.email).toBe('ada@example.org');
    expect(objected.status.bases.find((b) => b.category === 'optional')).toMatchObject({
      basis: 'contract',
      recorded: true,
      reason: 'basis',
    });
  });

  it.each(['essential', 'security'] as const)(
    'refuses %s under consent, saying why',
    (category) => {
      const p = presets.gdpr;
      const attempt = () =>
        definePolicy({
          ...p,
          categories: {
            ...p.categories,
            [category]: { ...p.categories[category]!, basis: 'consent' },
          },
        });
      expect(attempt).toThrow(PolicyError);
      expect(attempt).toThrow(
        new RegExp(`categories\\.${category}\\.basis: .*cannot depend on consent`),
      );
    },
  );
});
