import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSecureRequest } from '../../src/request/secure.js';

/** Trust settings Express accepts, with the function one answering differently over time. */
let flip = false;
const SETTINGS: [string, unknown][] = [
  ['unset (false)', false],
  ['true', true],
  ['loopback', 'loopback'],
  ['one hop', 1],
  ['another network', '10.0.0.0/8'],
  ['a list with the peer', ['192.0.2.1', '127.0.0.1']],
  ['a function that changes its mind', () => flip],
];
const PROTO_HEADERS = [
  undefined,
  '',
  'https',
  'http',
  'https, http',
  ' https ',
  'http, https',
  'HTTPS',
];

describe('isSecureRequest: req.secure as Express computes it', () => {
  const app = express();
  app.get('/', (req, res) => {
    res.json({ express: req.secure, ours: isSecureRequest(req), again: isSecureRequest(req) });
  });
  let port = 0;
  let connections = 0;
  const server = app.listen(0);
  server.on('connection', () => {
    connections++;
  });
  // One kept-alive connection: the peer's trust, remembered per socket, must follow the setting.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  beforeAll(async () => {
    if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    agent.destroy();
    server.close();
  });
  const ask = (proto: string | undefined) =>
    new Promise<{ express: boolean; ours: boolean; again: boolean }>((resolve, reject) => {
      const headers: Record<string, string> = {};
      if (proto !== undefined) headers['x-forwarded-proto'] = proto;
      const req = httpRequest({ port, path: '/', headers, agent }, (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve(JSON.parse(body)));
      });
      req.on('error', reject);
      req.end();
    });

  it('agrees with Express for every trust setting and X-Forwarded-Proto, on one connection', async () => {
    let secureSeen = 0;
    for (const [label, setting] of SETTINGS) {
      app.set('trust proxy', setting);
      for (const turn of [false, true]) {
        flip = turn;
        for (const proto of PROTO_HEADERS) {
          const answer = await ask(proto);
          expect(answer.ours, `${label}, X-Forwarded-Proto ${proto}, flip ${turn}`).toBe(
            answer.express,
          );
          expect(answer.again).toBe(answer.express);
          if (answer.express) secureSeen++;
        }
      }
    }
    // The table covers both answers: trusted https and everything else.
    expect(secureSeen).toBeGreaterThan(0);
    // All on one socket: the trust remembered for `true` did not leak into `false` and back.
    expect(connections).toBe(1);
  });
});

describe('isSecureRequest outside the HTTP loop', () => {
  /** A request on Express's own request prototype, with these fields as its own. */
  const fake = (fields: Record<string, unknown>) => {
    const req = Object.create(express.request) as Record<string, unknown>;
    for (const [key, value] of Object.entries(fields)) {
      Object.defineProperty(req, key, { value, enumerable: true });
    }
    return req as unknown as Parameters<typeof isSecureRequest>[0];
  };
  const trustAll = () => true;
  const appWith = (setting: unknown, test: unknown) => ({
    get: (name: string) => (name === 'trust proxy fn' ? test : setting),
  });

  it('a TLS socket is secure unless a trusted proxy says otherwise', () => {
    const socket = { remoteAddress: '127.0.0.1', encrypted: true };
    const neverTrust = () => false;
    expect(isSecureRequest(fake({ headers: {}, socket, app: appWith(false, neverTrust) }))).toBe(
      true,
    );
    const viaProxy = fake({
      headers: { 'x-forwarded-proto': 'http' },
      socket: { ...socket },
      app: appWith(true, trustAll),
    });
    expect(isSecureRequest(viaProxy)).toBe(false);
  });

  it('outside Express, or where an app redefines req.secure, it reads req.secure', () => {
    const headers = { 'x-forwarded-proto': 'https' };
    expect(isSecureRequest({ headers, secure: true })).toBe(true);
    expect(isSecureRequest({ headers })).toBe(false);
    // An app's own getter on its request prototype is what counts, whatever the header says.
    const own = Object.create(express.request, { secure: { get: () => false } });
    const req = Object.create(own, {
      headers: { value: headers },
      socket: { value: { remoteAddress: '127.0.0.1', encrypted: false } },
      app: { value: appWith(true, trustAll) },
    });
    expect(isSecureRequest(req)).toBe(false);
  });

  it('asks a function setting on every request, and a compiled setting once per socket', () => {
    let calls = 0;
    const counted = () => {
      calls++;
      return true;
    };
    const socket = { remoteAddress: '127.0.0.1', encrypted: false };
    const headers = { 'x-forwarded-proto': 'https' };
    for (let i = 0; i < 3; i++) {
      expect(isSecureRequest(fake({ headers, socket, app: appWith(1, counted) }))).toBe(true);
    }
    expect(calls).toBe(1);
    const other = { remoteAddress: '127.0.0.1', encrypted: false };
    for (let i = 0; i < 3; i++) {
      isSecureRequest(fake({ headers, socket: other, app: appWith(counted, counted) }));
    }
    expect(calls).toBe(4);
  });
});
