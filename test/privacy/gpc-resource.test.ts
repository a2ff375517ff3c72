import express from 'express';
import request from 'supertest';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { definePolicy, PolicyError, policyByRegion, presets } from '../../src/index.js';
import { isGpcDate } from '../../src/privacy/http/gpc-resource.js';
import { makeApp } from '../helpers/app.js';

describe('lastUpdate of /.well-known/gpc.json', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    '2025-02-28',
    '2024-02-29',
    '2000-02-29',
    '1997-03-10',
    '2025-12-31T23:59:59Z',
    '2025-06-01T12:00:00.123Z',
    '2025-06-01t12:00:00z',
    '2025-06-01T12:00:00+02:00',
    '2025-06-01T00:00:00.5-05:30',
  ])('accepts the RFC 3339 full-date or date-time %s, as given', async (value) => {
    expect(isGpcDate(value)).toBe(true);
    const { log } = makeApp({ warnings: false });
    const site = express().use(log.router({ gpcLastUpdate: value }));
    const res = await request(site).get('/.well-known/gpc.json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ gpc: true, lastUpdate: value });
    await log.close();
  });

  it.each([
    '2025-13-45',
    '2025-02-30',
    '2023-02-29',
    '1900-02-29',
    '2025-00-10',
    '2025-04-31',
    '2025-06-00',
    '2025-6-1',
    '20250601',
    '2025-06-01T24:00:00Z',
    '2025-06-01T12:60:00Z',
    '2025-06-01T12:00:61Z',
    '2025-06-01T12:00:00',
    '2025-06-01 12:00:00Z',
    '2025-06-01T12:00:00+24:00',
    '2025-06-01T12:00:00.Z',
    'June 1, 2025',
    '',
  ])('refuses %j at startup with a PolicyError naming gpcLastUpdate', async (value) => {
    expect(isGpcDate(value)).toBe(false);
    const { log } = makeApp({ warnings: false });
    let error: unknown;
    try {
      log.router({ gpcLastUpdate: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).key).toBe('gpcLastUpdate');
    expect((error as PolicyError).message).toContain('YYYY-MM-DD');
    await log.close();
  });

  it('by default is the same whenever and however often the app starts', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-01-01T08:00:00Z'));
    const first = makeApp({ warnings: false });
    vi.setSystemTime(new Date('2027-06-15T20:30:00Z'));
    const second = makeApp({ warnings: false });
    const third = express().use(second.log.router());
    vi.useRealTimers();
    const bodies = [];
    for (const app of [first.app, second.app, third]) {
      const res = await request(app).get('/.well-known/gpc.json');
      expect(res.status).toBe(200);
      bodies.push(res.body);
    }
    expect(bodies[0].lastUpdate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(isGpcDate(bodies[0].lastUpdate)).toBe(true);
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
    await first.log.close();
    await second.log.close();
  });
});

describe('/.well-known/gpc.json under policyByRegion is one statement for the whole site', () => {
  const addresses = ['193.99.144.80', '13.52.0.1', '133.242.0.1', '10.0.0.1'];
  const ignoring = definePolicy({
    ...presets.classic,
    name: 'classic-no-gpc',
    signals: { gpc: false, dnt: true },
  });

  describe('every regional policy honours GPC', () => {
    const { app, log } = makeApp({
      policy: policyByRegion({ EU: presets.gdpr, 'US-CA': presets.ccpa, default: presets.classic }),
      warnings: false,
    });
    afterAll(() => log.close());

    it('answers the same 200 to every region, so a shared cache is right', async () => {
      const answers = [];
      for (const address of addresses) {
        const res = await request(app).get('/.well-known/gpc.json').set('X-Forwarded-For', address);
        answers.push({ status: res.status, body: res.text, vary: res.headers.vary });
      }
      expect(answers[0]!.status).toBe(200);
      expect(JSON.parse(answers[0]!.body).gpc).toBe(true);
      for (const answer of answers) expect(answer).toEqual(answers[0]);
    });
  });

  describe('the regional policies disagree on GPC', () => {
    const { app, log } = makeApp({
      policy: policyByRegion({ EU: presets.gdpr, 'US-CA': presets.ccpa, default: ignoring }),
      warnings: false,
    });
    afterAll(() => log.close());

    it('claims support for no one: a claim true for some visitors is false for others', async () => {
      for (const address of addresses) {
        const res = await request(app).get('/.well-known/gpc.json').set('X-Forwarded-For', address);
        expect(res.status, address).toBe(404);
      }
    });

    it("still honours GPC by each visitor's policy", async () => {
      const eu = await request(app)
        .get('/privacy/status')
        .set('X-Forwarded-For', '193.99.144.80')
        .set('Sec-GPC', '1');
      const jp = await request(app)
        .get('/privacy/status')
        .set('X-Forwarded-For', '133.242.0.1')
        .set('Sec-GPC', '1');
      expect(eu.body).toMatchObject({ policy: 'gdpr@1', gpc: true, objection: true });
      expect(jp.body).toMatchObject({ policy: 'classic-no-gpc@1', objection: false });
    });
  });
});
