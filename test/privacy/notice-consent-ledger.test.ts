import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, NdjsonStore, presets, privacyLog } from '../../src/index.js';
import type { Store } from '../../src/stores/store.js';
import { SECRET, spyLogger } from '../helpers/app.js';

/** The notice's promise that every change of choice is recorded. */
const LEDGER_PROMISE = /we record when, how, your choice/;

// The notice may say that choices are recorded only where a store keeps the consent ledger: with
// an NDJSON file alone nothing keeps them, and saying so would be a promise the site breaks.
describe('the notice and the consent ledger', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'epl-notice-ledger-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const serve = (store: Store | Store[]) => {
    const logger = spyLogger();
    const log = privacyLog({
      policy: presets.gdpr,
      store,
      secret: SECRET,
      logger,
      retention: { enabled: false },
    });
    const app = express();
    app.use(log);
    app.use(log.router());
    return { app, log, logger };
  };

  it('with only an NDJSON file: no promise, and a warning at startup', async () => {
    const { app, log, logger } = serve(new NdjsonStore({ destination: join(dir, 'a.ndjson') }));
    expect(logger.codes()).toContain('WRN_NO_CONSENT_LEDGER');
    const notice = await request(app).get('/privacy/notice?format=markdown').expect(200);
    expect(notice.text).not.toMatch(LEDGER_PROMISE);
    // The rest of what withdrawal does is still said.
    expect(notice.text).toMatch(/When you withdraw your consent or opt out/);
    await log.close();
  });

  it('with a store that keeps the ledger beside it: the promise, and no warning', async () => {
    const { app, log, logger } = serve([
      new NdjsonStore({ destination: join(dir, 'b.ndjson') }),
      new MemoryStore(),
    ]);
    expect(logger.codes()).not.toContain('WRN_NO_CONSENT_LEDGER');
    const notice = await request(app).get('/privacy/notice?format=markdown').expect(200);
    expect(notice.text).toMatch(LEDGER_PROMISE);
    await log.close();
  });
});
