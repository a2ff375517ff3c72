import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presets } from '../../src/index.js';
import type { NormalIp } from '../../src/minimize/ip.js';
import type { AccessRecord } from '../../src/record.js';
import { accessRecordSchema } from '../../src/record-schema.js';
import { guardUnhandledRejections } from '../pipeline/fixtures.js';
import { addressIn, forwardedAddresses, spellings, textBesidesForwarded } from './addresses.js';
import { type HostileRequest, hostileRequest } from './hostile-request.js';
import { runOptions } from './run-options.js';
import { type FuzzSite, type RawResponse, startSite } from './site.js';

// Hostile request lines, headers and cookies over real sockets, against every preset with
// `trust proxy` off and on: what the site answers, what is stored, and what never is.

guardUnhandledRejections();

/** Clients on any loopback address, so that even without a proxy the address varies. */
const loopback = fc
  .tuple(fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 }))
  .map(([a, b, c]) => `127.${a}.${b}.${c}`);

const NAMES = ['classic', 'gdpr', 'ccpa', 'cookieless', 'strict'] as const;
const TRUST = [false, 'loopback'] as const;
const CASES = NAMES.flatMap((name) => TRUST.map((trust) => [name, trust] as const));

/**
 * The app's own answer came back: its chosen status, its router's, or Express's own 400. Returns
 * false when the request never reached the app's middleware: Node refuses some request lines (400)
 * and Express some absolute-form targets it cannot parse (404) before any middleware runs.
 */
function expectAppAnswer(site: FuzzSite, response: RawResponse): boolean {
  const seen = site.seen.last;
  if (seen === undefined) {
    expect([400, 404]).toContain(response.status);
    return false;
  }
  expect(response.headers['x-fuzz-app']).toBe('1');
  if (seen.error !== undefined) {
    // Express 5 refuses an undecodable route parameter itself; nothing else may reach here.
    expect(String(seen.error)).toMatch(/Failed to decode param/);
    expect(response.status).toBe(400);
  } else if (seen.status !== undefined) {
    expect(response.status).toBe(seen.status);
  } else {
    // The privacy router answered.
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(500);
  }
  return true;
}

/**
 * No spelling of any address the request came from or named is in the record; where the policy
 * keeps full addresses, only the address Express settled on, canonical, in the address fields.
 */
function expectNoRawAddress(
  record: AccessRecord,
  request: HostileRequest,
  addresses: readonly NormalIp[],
  client: NormalIp | undefined,
  keepsFull: boolean,
): void {
  const stored: AccessRecord = structuredClone(record);
  if (keepsFull) {
    for (const holder of [stored.client, stored.security]) {
      if (holder?.ip === undefined) continue;
      expect(holder.ip).toBe(client?.address);
      delete holder.ip;
    }
  }
  const text = JSON.stringify(stored).toLowerCase();
  const sent = textBesidesForwarded(request);
  for (const ip of addresses) {
    for (const form of spellings(ip)) {
      // A spelling the request also wrote elsewhere (its path, its Host) may come back from there.
      if (sent.includes(form.toLowerCase())) continue;
      expect(standsAlone(text, form.toLowerCase()), `${form} in ${text}`).toBe(false);
    }
  }
}

const ADDRESS_CHAR = /[0-9a-f.:]/;

/**
 * Whether `form` occurs in `text` as a whole address, not inside a longer one: a prefix-preserving
 * pseudonym of 127.0.22.2 may be 127.0.22.242, which holds the text "127.0.22.2" without holding
 * the address.
 */
function standsAlone(text: string, form: string): boolean {
  for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) {
    const before = text[at - 1];
    const after = text[at + form.length];
    if (
      (before === undefined || !ADDRESS_CHAR.test(before)) &&
      (after === undefined || !ADDRESS_CHAR.test(after))
    ) {
      return true;
    }
  }
  return false;
}

describe.each(CASES)('%s, trust proxy %s', (name, trust) => {
  let site: FuzzSite;
  beforeAll(async () => {
    site = await startSite(presets[name], trust);
  });
  afterAll(() => site.close());
  const keepsFull = presets[name].categories.client?.ip.mode === 'full';

  it('answers every request as the app says, and stores exactly its one valid record without a raw address', async () => {
    let tried = 0;
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(hostileRequest, loopback, async (request, local) => {
        const before = site.store.records.map((r) => JSON.stringify(r));
        const response = await site.send(request, local);
        const reached = expectAppAnswer(site, response);
        await site.log.flush();
        tried++;

        // Nothing lost, nothing forged: one record, and no earlier record changed.
        const records = site.store.records;
        expect(records).toHaveLength(before.length + (reached ? 1 : 0));
        expect(records.slice(0, before.length).map((r) => JSON.stringify(r))).toEqual(before);
        if (!reached) return;
        answered++;
        const record = records.at(-1)!;
        expect(accessRecordSchema.safeParse(record).error?.issues).toBeUndefined();
        expect(record.policy).toBe(`${name}@1`);
        expect(record.essential.method).toBe(request.method);
        expect(record.essential.status).toBe(response.status);

        const client = addressIn(site.seen.last?.ip);
        const addresses = [addressIn(local)!, ...forwardedAddresses(request)];
        expectNoRawAddress(record, request, addresses, client, keepsFull);
      }),
      runOptions(40),
    );
    // The generator must mostly make requests that reach the app, or it tests little.
    expect(answered).toBeGreaterThan(tried * 0.8);
    for (const s of site.log.stats().stores) {
      expect(s.written).toBe(s.accepted);
      expect(Object.values(s.dropped).reduce((a, b) => a + (b ?? 0), 0)).toBe(0);
    }
    expect(site.logger.calls.filter((c) => c.level === 'error')).toEqual([]);
  }, 60_000);
});
