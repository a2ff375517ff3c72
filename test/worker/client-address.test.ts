import express from 'express';
import express4 from 'express4';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { definePolicy, MemoryStore, presets, privacyLog } from '../../src/index.js';
import {
  compileTrust,
  resolveAddress,
  type TrustSetting,
  TrustSettings,
} from '../../src/worker/client-address.js';
import { SECRET, spyLogger } from '../helpers/app.js';

/** A policy that keeps the address as it is, so the record shows what was resolved. */
const FULL_ADDRESS = definePolicy({
  ...presets.ccpa,
  name: 'full-address',
  categories: {
    ...presets.ccpa.categories,
    client: { ...presets.ccpa.categories.client!, ip: { mode: 'full' }, geo: 'none' },
  },
});

/** A worker-mode logger of {@link FULL_ADDRESS} into `store`, writing at once. */
const fullAddressLogger = (store: MemoryStore) =>
  privacyLog({
    policy: FULL_ADDRESS,
    store,
    secret: SECRET,
    worker: true,
    logger: spyLogger(),
    warnings: false,
    batch: { maxDelayMs: 1 },
    retention: { enabled: false },
  });

const SETTINGS: TrustSetting[] = [
  false,
  true,
  0,
  -1,
  1,
  2,
  3,
  'loopback',
  'loopback, linklocal, uniquelocal',
  '10.0.0.1',
  '10.0.0.0/8, 192.168.0.0/255.255.0.0',
  '127.0.0.1/8,::1/128',
  ['loopback', 'uniquelocal'],
  ['::1', '192.168.0.0/16', '2001:db8::/32'],
  [],
];

const SOCKETS = [
  '127.0.0.1',
  '::ffff:127.0.0.1',
  '::1',
  '10.0.0.1',
  '10.2.3.4',
  '192.168.7.7',
  '203.0.113.7',
  '2001:db8::1',
  'fe80::1',
  undefined,
];

const FORWARDED = [
  undefined,
  '',
  '8.8.8.8',
  '8.8.8.8, 10.0.0.2',
  ' 1.2.3.4 ,5.6.7.8,  10.1.1.1',
  '8.8.8.8,,192.168.1.1',
  'unknown, 192.168.1.1',
  'not an address',
  '2001:db8::2, ::1',
  '::ffff:8.8.8.8, 127.0.0.1',
  '198.51.100.1, 10.0.0.1, 10.0.0.2, 127.0.0.1',
  '8.8.8.8:1234',
];

/** Express's own `req.ip` for a request from `socket` with this header, under `setting`. */
function expressIp(
  make: typeof express | typeof express4,
  setting: TrustSetting,
  socket: string | undefined,
  forwarded: string | undefined,
): { ip: string | undefined; trust: number } {
  const app = make();
  app.set('trust proxy', setting);
  const req = Object.create(app.request) as express.Request & { app: unknown };
  Object.defineProperty(req, 'app', { value: app });
  const headers: Record<string, string> = {};
  if (forwarded !== undefined) headers['x-forwarded-for'] = forwarded;
  Object.assign(req, { headers, socket: { remoteAddress: socket } });
  Object.assign(req, { connection: req.socket });
  return { ip: req.ip, trust: new TrustSettings().indexOf(req) };
}

describe('the worker resolves the client address exactly as Express does', () => {
  describe.each([
    ['Express 5', express],
    ['Express 4', express4],
  ] as const)('%s', (_name, make) => {
    it.each(SETTINGS.map((s) => [JSON.stringify(s), s] as const))(
      'trust proxy %s: every socket address and X-Forwarded-For gives req.ip',
      (_label, setting) => {
        const trusts = new TrustSettings();
        let compared = 0;
        for (const socket of SOCKETS) {
          for (const forwarded of FORWARDED) {
            const expected = expressIp(make, setting, socket, forwarded);
            // The index names the setting; the worker gets the table and compiles it once.
            const app = make();
            app.set('trust proxy', setting);
            const index = trusts.indexOf({ app });
            expect(index).toBeGreaterThanOrEqual(0);
            const trust = compileTrust(structuredClone(trusts.table[index]!));
            expect(resolveAddress(socket, forwarded, trust), `${socket} ${forwarded}`).toBe(
              expected.ip,
            );
            compared++;
          }
        }
        expect(compared).toBe(SOCKETS.length * FORWARDED.length);
      },
    );
  });

  it.each(SETTINGS.map((s) => [JSON.stringify(s), s] as const))(
    'trust proxy %s compiled once answers every request in turn as Express does',
    (_label, setting) => {
      // One compiled setting for a stream of requests, as in the worker: an answer it remembers
      // for one address must never be given for another.
      const trust = compileTrust(setting);
      const cases = SOCKETS.flatMap((socket) =>
        FORWARDED.map((forwarded) => [socket, forwarded] as const),
      );
      for (const [socket, forwarded] of [...cases, ...[...cases].reverse(), ...cases]) {
        expect(resolveAddress(socket, forwarded, trust), `${socket} ${forwarded}`).toBe(
          expressIp(express, setting, socket, forwarded).ip,
        );
      }
    },
  );

  it('a trust function cannot cross threads: the request keeps reading req.ip', () => {
    const app = express();
    app.set('trust proxy', (address: string) => address === '127.0.0.1');
    expect(new TrustSettings().indexOf({ app })).toBe(-1);
    // Not an Express request at all: the same.
    expect(new TrustSettings().indexOf({})).toBe(-1);
  });

  it('a setting changed at run time is seen by the next request', () => {
    const app = express();
    const trusts = new TrustSettings();
    app.set('trust proxy', 'loopback');
    const first = trusts.indexOf({ app });
    app.set('trust proxy', 2);
    const second = trusts.indexOf({ app });
    app.set('trust proxy', 'loopback');
    expect([first, second, trusts.indexOf({ app })]).toEqual([0, 1, 0]);
    expect(trusts.table).toEqual(['loopback', 2]);
  });

  it.each([
    ['loopback', '198.51.100.23, 127.0.0.1'],
    [1, '198.51.100.23'],
    [false, '198.51.100.23'],
  ] as const)(
    'end to end in worker mode (trust proxy %j): the record holds the address req.ip gave',
    async (setting, forwarded) => {
      const store = new MemoryStore();
      const log = fullAddressLogger(store);
      const seen: (string | undefined)[] = [];
      const app = express();
      app.set('trust proxy', setting);
      app.use(log);
      app.get('/', (req, res) => {
        seen.push(req.ip);
        res.send('ok');
      });
      try {
        await request(app).get('/').set('X-Forwarded-For', forwarded);
        await log.flush();
        expect(store.records.map((r) => r.client?.ip)).toEqual(
          seen.map((ip) => ip?.replace(/^::ffff:/, '')),
        );
      } finally {
        await log.close();
      }
    },
  );
});

describe('the serving thread in worker mode', () => {
  it('never reads req.ip, also when the policy keeps security evidence', async () => {
    const store = new MemoryStore();
    const log = fullAddressLogger(store);
    const app = express();
    app.set('trust proxy', 'loopback');
    // Count the reads of Express's own getter, which this app's routes never make.
    const express5Request = Object.getPrototypeOf(app.request) as object;
    const getter = Object.getOwnPropertyDescriptor(express5Request, 'ip')!.get!;
    let reads = 0;
    Object.defineProperty(app.request, 'ip', {
      configurable: true,
      get() {
        reads++;
        return getter.call(this);
      },
    });
    app.use(log);
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    try {
      await request(app).get('/').set('X-Forwarded-For', '203.0.113.7');
      await request(app).get('/.env').set('X-Forwarded-For', '203.0.113.8');
      await log.flush();
      expect(FULL_ADDRESS.categories.security).toBeDefined();
      expect(store.records.map((r) => r.client?.ip)).toEqual(['203.0.113.7', '203.0.113.8']);
      // The probe for /.env is flagged; behind the trusted proxy its port is the proxy's.
      const flagged = store.records.find((r) => r.security)!;
      expect(flagged.security!.reasons).toEqual(['sensitive-path']);
      expect(flagged.security).not.toHaveProperty('port');
      expect(reads).toBe(0);
    } finally {
      await log.close();
    }
  });
});
