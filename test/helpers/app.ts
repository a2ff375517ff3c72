import express, { type Express } from 'express';
import { privacyLog } from '../../src/index.js';
import type { PrivacyLogOptions } from '../../src/options.js';
import type { AccessRecord } from '../../src/record.js';
import { MemoryStore } from '../../src/stores/memory/store.js';

export const SECRET = 'test-secret-0123456789-abcdefghijklmnop';

/**
 * Reverse DNS for tests: answers from this table at once, so no test depends on the network.
 * Anything else has no PTR name.
 */
export const PTR_NAMES: Readonly<Record<string, readonly string[]>> = {
  '8.8.8.8': ['dns.google'],
  '8.8.8.0': [],
  '52.95.110.1': ['ec2-52-95-110-1.compute-1.amazonaws.com'],
};
export const fakeReverse = async (address: string): Promise<readonly string[]> =>
  PTR_NAMES[address] ?? [];

/** A silent diagnostic logger that remembers what it was told, for assertions. */
export function spyLogger() {
  const calls: {
    level: 'warn' | 'error' | 'info';
    details: Record<string, unknown>;
    message: string;
  }[] = [];
  return {
    calls,
    codes: () => calls.map((c) => c.details.code),
    warn: (details: object, message: string) =>
      calls.push({ level: 'warn', details: details as Record<string, unknown>, message }),
    error: (details: object, message: string) =>
      calls.push({ level: 'error', details: details as Record<string, unknown>, message }),
    info: (details: object, message: string) =>
      calls.push({ level: 'info', details: details as Record<string, unknown>, message }),
  };
}

/**
 * A small site under test: home, a product page with a route parameter, a contact form that hands
 * over optional data, and the privacy routes. Proxies on loopback are trusted so tests can set the
 * client address through X-Forwarded-For, as a real reverse proxy would.
 */
export function makeApp(options: Partial<PrivacyLogOptions> = {}) {
  const store = new MemoryStore();
  const logger = spyLogger();
  const log = privacyLog({
    store,
    secret: SECRET,
    logger,
    batch: { maxDelayMs: 5 },
    enrich: { reverse: fakeReverse },
    ...options,
  });
  const app: Express = express();
  app.set('trust proxy', 'loopback');
  app.use(log);
  app.use(log.router());
  app.get('/', (_req, res) => {
    res.send('home');
  });
  app.get('/products/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  app.post('/contact', express.urlencoded({ extended: false }), (req, res) => {
    req.privacyLog?.optional(req.body ?? {});
    res.send('thanks');
  });
  app.get('/attack', (req, res) => {
    req.privacyLog?.flagIncident('sql injection probe');
    res.status(403).send('no');
  });
  return { app, log, store, logger };
}

/** The records a store holds after the logger has flushed. */
export async function storedAfter(
  log: { flush(): Promise<void> },
  store: MemoryStore,
): Promise<readonly AccessRecord[]> {
  await log.flush();
  return store.records;
}

/** Every `Set-Cookie` line of a supertest response. */
export function setCookies(res: { headers: Record<string, unknown> }): string[] {
  const value = res.headers['set-cookie'];
  return Array.isArray(value) ? (value as string[]) : typeof value === 'string' ? [value] : [];
}
