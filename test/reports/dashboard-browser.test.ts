import { existsSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivacyLogMiddleware } from '../../src/middleware.js';
import { RANGE, trafficLogger } from './dashboard-fixture.js';

// Debian's chromium driven by playwright-core (a dev dependency). PLAYWRIGHT_CORE may point at
// another copy of the package; CHROMIUM at another browser binary.
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const PASSWORD = 'demo-password';

interface Page {
  on(event: 'console', listener: (message: { type(): string; text(): string }) => void): void;
  on(event: 'pageerror', listener: (error: Error) => void): void;
  on(event: 'request', listener: (request: { url(): string }) => void): void;
  goto(url: string): Promise<{ status(): number } | null>;
  screenshot(options: { fullPage: boolean }): Promise<Buffer>;
  locator(selector: string): {
    count(): Promise<number>;
    first(): { boundingBox(): Promise<{ width: number; height: number } | null> };
  };
}
interface Browser {
  newContext(options?: {
    extraHTTPHeaders?: Record<string, string>;
    viewport?: { width: number; height: number };
  }): Promise<{
    newPage(): Promise<Page>;
    cookies(): Promise<unknown[]>;
  }>;
  close(): Promise<void>;
}
type Chromium = { launch(options: { executablePath: string; args: string[] }): Promise<Browser> };

async function loadChromium(): Promise<Chromium | string> {
  if (!existsSync(CHROMIUM)) return `no browser at ${CHROMIUM} (apt-get install -y chromium)`;
  const spec = process.env.PLAYWRIGHT_CORE ?? 'playwright-core';
  try {
    const module = (await import(spec)) as { chromium: Chromium };
    return module.chromium;
  } catch {
    return 'playwright-core is not installed (a dev dependency)';
  }
}

const chromium = await loadChromium();
// Like the PostgreSQL and Redis suites: a missing browser skips on a developer's machine, and fails
// under CI, which installs it (.ci/run).
if (typeof chromium === 'string' && process.env.CI) {
  throw new Error(`${chromium}; CI must provide it (see .ci/run)`);
}
const suite = typeof chromium === 'string' ? describe.skip : describe;

suite(`dashboard in headless Chromium${typeof chromium === 'string' ? ` (skipped: ${chromium})` : ''}`, () => {
  let log: PrivacyLogMiddleware;
  let server: ReturnType<express.Express['listen']>;
  let origin: string;
  let browser: Browser;

  beforeAll(async () => {
    log = await trafficLogger();
    const app = express();
    const expected = `Basic ${Buffer.from(`owner:${PASSWORD}`).toString('base64')}`;
    app.use(
      '/stats',
      log.dashboard({
        authorize: (req) => req.get('authorization') === expected,
        challenge: 'Basic realm="traffic"',
      }),
    );
    // The same page without a password prompt: headless Chromium turns a Basic challenge into a
    // navigation error instead of showing the refusal.
    app.use('/quiet', log.dashboard({ authorize: (req) => req.get('authorization') === expected }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await (chromium as Chromium).launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    await log?.close();
  });

  it('refuses a visitor without the password', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(`${origin}/quiet/${RANGE}`);
    expect(response?.status()).toBe(401);
    expect(await page.locator('svg').count()).toBe(0);
  });

  it('loads without console errors or outside requests, shows the chart and tables, sets no cookie', async () => {
    const context = await browser.newContext({
      viewport: { width: 1200, height: 900 },
      extraHTTPHeaders: {
        Authorization: `Basic ${Buffer.from(`owner:${PASSWORD}`).toString('base64')}`,
      },
    });
    const page = await context.newPage();
    const errors: string[] = [];
    const outside: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (req) => {
      if (!req.url().startsWith(origin)) outside.push(req.url());
    });
    const response = await page.goto(`${origin}/stats/${RANGE}`);
    expect(response?.status()).toBe(200);
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
    expect(await context.cookies()).toEqual([]);
    const chart = await page.locator('svg#chart').first().boundingBox();
    expect(chart!.width).toBeGreaterThan(400);
    expect(chart!.height).toBeGreaterThan(150);
    expect(await page.locator('section table').count()).toBe(8);
    expect(await page.locator('#page tr').count()).toBeGreaterThan(1);
    expect(await page.locator('svg#chart polyline').count()).toBe(2);
    const png = await page.screenshot({ fullPage: true });
    // The README's picture is made by this test: DASHBOARD_SCREENSHOT=docs/dashboard.png.
    if (process.env.DASHBOARD_SCREENSHOT) writeFileSync(process.env.DASHBOARD_SCREENSHOT, png);
    // PNG signature, then the IHDR chunk's width and height.
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    expect(width).toBe(1200);
    expect(height).toBeGreaterThan(600);
    expect(height).toBeLessThan(10_000);
    expect(png.length).toBeGreaterThan(20_000);
  }, 60_000);
});
