import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PrivacyLogMiddleware } from '../../src/middleware.js';
import { RANGE, trafficLogger } from './dashboard-fixture.js';
import { DAY, SET_START } from './traffic-set.js';

// Large generated traffic sets: generous bounds on a shared, busy machine (no timing is asserted).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const loggers: PrivacyLogMiddleware[] = [];
afterEach(async () => {
  for (const log of loggers.splice(0)) await log.close();
});

async function dashboardLogger(): Promise<PrivacyLogMiddleware> {
  const log = await trafficLogger();
  loggers.push(log);
  return log;
}

describe('logger.dashboard', () => {
  it('refuses to start without authorize, unless limited to loopback for development', async () => {
    const log = await dashboardLogger();
    expect(() => log.dashboard({})).toThrow(/authorize/);
    expect(() => log.dashboard({ development: 'loopback' })).not.toThrow();
  });

  it('answers an unauthorised request with 401 and no figures', async () => {
    const log = await dashboardLogger();
    const app = express().use(
      '/stats',
      log.dashboard({ authorize: () => false, challenge: 'Basic realm="traffic"' }),
    );
    const res = await request(app).get(`/stats/${RANGE}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="traffic"');
    expect(res.text).not.toContain('Visitors');
  });

  it('serves one self-contained page: strict CSP, no script, no external asset, no cookie, small cells hidden', async () => {
    const log = await dashboardLogger();
    const app = express().use(
      '/stats',
      log.dashboard({ authorize: (req) => req.get('x-owner') === 'yes' }),
    );
    const res = await request(app).get(`/stats/${RANGE}`).set('x-owner', 'yes');
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toMatch(
      /^default-src 'none'; style-src 'sha256-/,
    );
    expect(res.headers['content-security-policy']).not.toContain('unsafe');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.text).toContain('<svg id="chart"');
    for (const id of [
      'page',
      'entry',
      'referrer',
      'browser',
      'os',
      'device',
      'country',
      'status',
    ]) {
      expect(res.text).toContain(`<section id="${id}">`);
    }
    expect(res.text).not.toMatch(/<script|<link|<img|src=|url\(/i);
    expect(res.text).not.toContain('/only-three');
    // The page's figures are the API's.
    const report = await log.reports.traffic({
      from: new Date(SET_START),
      to: new Date(SET_START + 10 * DAY),
    });
    expect(res.text).toContain(`Page views<b>${report.totals.pageViews}</b>`);
  });

  it('serves loopback requests without authorize in development mode', async () => {
    const log = await dashboardLogger();
    const app = express().use('/stats', log.dashboard({ development: 'loopback' }));
    const res = await request(app).get('/stats/');
    expect(res.status).toBe(200);
  });
});
