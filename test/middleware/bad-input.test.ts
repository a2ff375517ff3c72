import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { NdjsonStore, presets, privacyLog } from '../../src/index.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { makeApp, SECRET, setCookies, spyLogger, storedAfter } from '../helpers/app.js';

describe('hostile or malformed requests', () => {
  const { app, log, store } = makeApp({ policy: presets.ccpa, warnings: false });
  afterAll(() => log.close());

  it('malformed cookie headers never crash and never yield a visitor id', async () => {
    for (const cookie of [
      '=',
      ';;;',
      'pl_vid',
      'pl_vid=%E0%A4%A',
      'pl_vid="unterminated',
      `pl_vid=${'x'.repeat(8000)}`,
      'pl_choice=%ZZ',
    ]) {
      const res = await request(app).get('/').set('Cookie', cookie);
      expect(res.status, cookie).toBe(200);
    }
    const records = await storedAfter(log, store);
    for (const record of records) {
      // Each got a fresh id from this library, never the bytes it was sent.
      expect(record.nonessential?.visitorId ?? '').toMatch(/^([A-Za-z0-9_-]{22})?$/);
    }
  });

  it('a cookie named __proto__ pollutes no prototype', async () => {
    const res = await request(app)
      .get('/')
      .set('Cookie', '__proto__=%7B%22polluted%22%3Atrue%7D; constructor=x; pl_choice=__proto__');
    expect(res.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    const records = await storedAfter(log, store);
    expect(records.at(-1)!.consent.analytics).toBe(true);
  });

  it('Sec-GPC counts only when a part is exactly 1', async () => {
    const cases: [string, boolean][] = [
      ['1', true],
      ['0, 1', true],
      [' 1 ', true],
      ['0', false],
      ['true', false],
      ['yes', false],
      ['', false],
      ['11', false],
      ['1;q=1', false],
      [`${'0,'.repeat(4000)}0`, false],
    ];
    for (const [value, gpc] of cases) {
      const res = await request(app).get('/').set('Sec-GPC', value);
      expect(res.status).toBe(200);
      const record = (await storedAfter(log, store)).at(-1)!;
      expect(record.consent.gpc, JSON.stringify(value)).toBe(gpc);
      expect(record.consent.analytics, JSON.stringify(value)).toBe(!gpc);
      expect(setCookies(res).some((c) => c.startsWith('pl_vid=') && !c.includes('Max-Age=0'))).toBe(
        !gpc,
      );
    }
  });

  it('8 KB header values are recorded cut to size or dropped, never whole', async () => {
    // One large header per request: Node refuses more than 16 KB of headers in all (431).
    const huge = 'A'.repeat(8 * 1024);
    const cases: Record<string, string>[] = [
      { 'User-Agent': `Mozilla/5.0 ${huge}` },
      { Referer: `https://other.example/${huge}` },
      { Host: `${huge}.example` },
      { 'Sec-GPC': huge },
      { Cookie: `pl_vid=s%3A${huge}` },
    ];
    for (const headers of cases) {
      const res = await request(app)
        .get(`/products/${'9'.repeat(2000)}`)
        .set(headers);
      expect(res.status).toBe(200);
      const text = JSON.stringify((await storedAfter(log, store)).at(-1));
      expect(text).not.toContain(huge);
      expect(text.length).toBeLessThan(8 * 1024);
    }
  });
});

describe('log injection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'epl-inject-'));
  const file = join(dir, 'access.ndjson');
  const store = new NdjsonStore({ destination: file });
  const log = privacyLog({
    policy: presets.classic,
    store,
    secret: SECRET,
    logger: spyLogger(),
    warnings: false,
    batch: { maxDelayMs: 5 },
  });
  const app = express();
  app.use(log);
  app.get('/*splat', (_req, res) => {
    res.send('ok');
  });
  afterAll(() => log.close());

  it('Node refuses raw CR, LF, NUL and ESC in headers before the app runs, and the app survives', async () => {
    const server = http.createServer(app).listen(0);
    const { port } = server.address() as AddressInfo;
    const net = await import('node:net');
    for (const bad of ['\r', '\n', '\0', '\u001b']) {
      const answer = await new Promise<string>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write(`GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: a${bad}forged\r\n\r\n`);
        });
        let data = '';
        socket.on('data', (d) => {
          data += d;
        });
        socket.on('close', () => resolve(data));
        socket.on('error', () => resolve(data));
        setTimeout(() => socket.destroy(), 500);
      });
      expect(answer.startsWith('HTTP/1.1 400') || answer.startsWith('HTTP/1.1 200')).toBe(true);
    }
    const ok = await request(server).get('/still-alive');
    expect(ok.status).toBe(200);
    server.close();
  });

  it('C1 controls, U+2028/U+2029 and escapes in UA, Referer and path cannot split or forge an NDJSON line', async () => {
    const forged = '\u0085{"v":1,"id":"forged"}\u2028{"v":1,"id":"forged2"}\u2029';
    const latin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
    const n = 5;
    for (let i = 0; i < n; i++) {
      await request(app)
        .get(`/p/%0A%0D%1B${i}?x=%0A`)
        .set('User-Agent', latin1(`Mozilla/5.0 ${forged}`))
        .set('Referer', latin1(`https://evil.example/${forged}`));
    }
    await log.flush();
    await store.close?.();
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(log.stats().stores[0]!.written);
    expect(lines.filter((line) => JSON.parse(line).essential.path.startsWith('/p/'))).toHaveLength(
      n,
    );
    for (const line of lines) {
      const record = JSON.parse(line);
      expect(record.id).not.toMatch(/forged/);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for exactly these
      expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    }
  });
});

describe('a failing store never fails a request', () => {
  const stores = {
    throws: {
      name: 'throws',
      write: () => {
        throw new Error('disk on fire');
      },
    },
    rejects: { name: 'rejects', write: () => Promise.reject(new Error('connection refused')) },
    'never answers': { name: 'hangs', write: () => new Promise<void>(() => {}) },
  };
  it.each(Object.keys(stores) as (keyof typeof stores)[])('a store that %s', async (kind) => {
    const logger = spyLogger();
    const healthy = new MemoryStore();
    const log = privacyLog({
      policy: presets.strict,
      store: [stores[kind], healthy],
      logger,
      warnings: false,
      batch: { size: 10, maxDelayMs: 1 },
      writeTimeoutMs: 50,
      retries: 1,
    });
    const app = express();
    app.use(log);
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    const responses = await Promise.all(Array.from({ length: 50 }, () => request(app).get('/')));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    await log.flush();
    expect(healthy.records).toHaveLength(50);
    const failing = log.stats().stores[0]!;
    expect(failing.written).toBe(0);
    expect(failing.accepted).toBe(
      failing.written +
        failing.buffered +
        Object.values(failing.dropped).reduce((a, b) => a + (b ?? 0), 0),
    );
    // Reported once per failure streak, not per record.
    const errors = logger.calls.filter((c) => c.level === 'error');
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.length).toBeLessThan(5);
    await log.close({ timeoutMs: 200 });
  });
});
