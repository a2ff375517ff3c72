import { describe, expect, it } from 'vitest';
import type { Category, SecurityInfo } from '../../src/record.js';
import type { Captured } from '../../src/request/capture.js';
import type { Decision } from '../../src/request/decide.js';
import { addEvidence } from '../../src/security/evidence.js';
import type { BatchMessage } from '../../src/worker/protocol.js';
import {
  applyTables,
  type DecodeTables,
  decodeBatch,
  SnapshotWriter,
} from '../../src/worker/snapshot.js';

const decision = (policy: string, analytics: boolean): Decision =>
  Object.freeze({
    policy,
    analytics,
    basis: analytics ? 'consent' : 'none',
    gpc: false,
    dnt: !analytics,
    objection: !analytics,
    choice: analytics ? 'in' : undefined,
    categories: Object.freeze<Category[]>(
      analytics ? ['client', 'essential', 'nonessential', 'optional'] : ['client', 'essential'],
    ),
    enrich: analytics,
    consent: analytics,
    bases: Object.freeze([]),
  });

const IN = decision('gdpr@1', true);
const OUT = decision('gdpr@1', false);

function captured(overrides: Partial<Captured> = {}): Captured {
  return {
    startMs: 1_780_000_000_123,
    startPerf: 0,
    method: 'POST',
    url: '/contact?x=1',
    ip: '198.51.100.7',
    host: 'shop.example',
    userAgent: 'Mozilla/5.0 \u2028 test',
    referer: 'https://elsewhere.example/a',
    decision: IN,
    visitorId: 'v-1',
    optional: undefined,
    incidents: undefined,
    status: 201,
    durationMs: 12.5,
    bytes: 77,
    aborted: false,
    route: '/contact',
    hints: undefined,
    ...overrides,
  };
}

/** What the worker sees: the batch after a structured clone, decoded against its own tables. */
function crossAndDecode(
  batches: BatchMessage[],
  resolve: DecodeTables['resolve'] = () => 'resolved',
) {
  const decisions: Decision[] = [];
  const out: Captured[] = [];
  let invalid = 0;
  for (const sent of batches) {
    const batch = structuredClone(sent);
    applyTables(decisions, batch.decisions);
    decodeBatch(
      batch,
      { decisions, resolve },
      (c) => out.push(c),
      () => invalid++,
    );
  }
  return { out, invalid, decisions };
}

describe('the hand-over encoding', () => {
  it('gives the worker every field the record is made from, rare ones included', () => {
    const writer = new SnapshotWriter(8, []);
    const optional = Object.assign(Object.create(null) as Record<string, string>, {
      email: 'jane@example.org',
      ['__proto__']: 'a field, not a prototype',
    });
    const inputs = [
      captured(),
      captured({
        decision: OUT,
        visitorId: undefined,
        referer: undefined,
        bytes: undefined,
        aborted: true,
        status: 0,
        route: undefined,
        optional,
        incidents: ['sql injection probe', 'second'],
        hints: { ua: '"Chromium";v="126"', mobile: '?0', platform: '"Linux"' },
      }),
      captured({ incidents: ['only reasons'] }),
    ];
    for (const c of inputs) writer.push(c);
    const { out, invalid } = crossAndDecode([writer.take()!]);
    expect(invalid).toBe(0);
    expect(out).toHaveLength(3);
    out.forEach((c, i) => {
      const { startPerf: _sent, ...expected } = inputs[i]!;
      const { startPerf: _got, ...got } = c;
      expect({ ...got, optional: got.optional && { ...got.optional } }).toEqual({
        ...expected,
        optional: expected.optional && { ...expected.optional },
        hints: expected.hints && {
          platformVersion: undefined,
          fullVersionList: undefined,
          ...expected.hints,
        },
      });
    });
    expect(Object.getPrototypeOf(out[1]!.optional)).toBe(null);
    expect(Object.keys(out[1]!.optional!)).toEqual(['email', '__proto__']);
  });

  it('hands the worker only the allow-listed evidence headers, never Cookie or Authorization', () => {
    const writer = new SnapshotWriter(4, []);
    const headers = {
      host: 'shop.example',
      accept: 'text/html',
      cookie: 'pl_vid=secret-visitor',
      authorization: 'Bearer secret-token',
      'x-forwarded-for': '203.0.113.9',
    };
    writer.push(captured({ evidence: { httpVersion: '1.1', port: 51_234, headers } }));
    const sent = writer.take()!;
    expect(JSON.stringify(sent.extras)).not.toMatch(/secret|203\.0\.113\.9/);
    const { out } = crossAndDecode([sent]);
    // What a flagged record keeps of it, in the worker.
    const security: SecurityInfo = { reasons: ['test'], hold: true };
    addEvidence(security, '/x', undefined, out[0]!.evidence);
    expect(security).toMatchObject({
      httpVersion: '1.1',
      port: 51_234,
      headers: { host: 'shop.example', accept: 'text/html' },
    });
    expect(Object.keys(security.headers ?? {})).toEqual(['host', 'accept']);
  });

  it('keeps empty, missing and odd header values apart when they cross', () => {
    const writer = new SnapshotWriter(4, []);
    const headers = { host: '', 'content-type': 'a\nb', origin: 'https://o.example', te: 'x' };
    const evidence = { httpVersion: '2.0', port: undefined, headers };
    writer.push(captured({ evidence }));
    const { out } = crossAndDecode([writer.take()!]);
    const security: SecurityInfo = { reasons: ['test'], hold: true };
    addEvidence(security, '/x', undefined, out[0]!.evidence);
    expect(Object.keys(security.headers ?? {})).toEqual(['host', 'content-type', 'origin', 'te']);
    expect(security.headers).toMatchObject({ host: '', origin: 'https://o.example', te: 'x' });
    // The worker keeps exactly what the serving thread would have kept of the same request.
    const here: SecurityInfo = { reasons: ['test'], hold: true };
    addEvidence(here, '/x', undefined, evidence);
    expect(security).toEqual(here);
  });

  it('drops the source port in the worker when the peer turns out to be a proxy', () => {
    const writer = new SnapshotWriter(2, ['loopback']);
    const evidence = { httpVersion: '1.1', port: 40_000, headers: { accept: '*/*' } };
    writer.push(
      captured({
        ip: undefined,
        trust: 0,
        remoteAddress: '127.0.0.1',
        forwardedFor: '8.8.8.8',
        evidence,
      }),
    );
    writer.push(captured({ ip: undefined, trust: 0, remoteAddress: '8.8.4.4', evidence }));
    const { out } = crossAndDecode([writer.take()!], (_t, address, forwarded) =>
      forwarded === undefined ? address : forwarded,
    );
    const ports = out.map((c) => {
      const security: SecurityInfo = { reasons: ['test'], hold: true };
      addEvidence(security, '/x', undefined, c.evidence);
      return security.port;
    });
    expect(ports).toEqual([undefined, 40_000]);
  });

  it('sends each decision once, and a later batch only the new ones', () => {
    const writer = new SnapshotWriter(4, []);
    writer.push(captured());
    writer.push(captured());
    const first = writer.take()!;
    writer.push(captured({ decision: OUT }));
    writer.push(captured());
    const second = writer.take()!;
    expect(first.decisions?.list).toEqual([IN]);
    expect(second.decisions).toEqual({ from: 1, list: [OUT] });
    const { out } = crossAndDecode([first, second]);
    expect(out.map((c) => c.decision.analytics)).toEqual([true, true, false, true]);
  });

  it('leaves the address to the worker when the request carries a trust setting', () => {
    const trusts = ['loopback'];
    const writer = new SnapshotWriter(2, trusts);
    writer.push(
      captured({ ip: undefined, trust: 0, remoteAddress: '127.0.0.1', forwardedFor: '8.8.8.8' }),
    );
    const batch = writer.take()!;
    expect(batch.trusts).toEqual({ from: 0, list: ['loopback'] });
    const asked: unknown[][] = [];
    const { out } = crossAndDecode([batch], (...args: unknown[]) => {
      asked.push(args);
      return '8.8.8.8';
    });
    expect(asked).toEqual([[0, '127.0.0.1', '8.8.8.8']]);
    expect(out[0]!.ip).toBe('8.8.8.8');
  });

  it('a row whose decision the worker does not know is counted, not guessed', () => {
    const writer = new SnapshotWriter(2, []);
    writer.push(captured());
    const batch = writer.take()!;
    const { out, invalid } = crossAndDecode([{ ...batch, decisions: undefined }]);
    expect(out).toEqual([]);
    expect(invalid).toBe(1);
  });

  it('is full at its capacity and starts a new batch after take()', () => {
    const writer = new SnapshotWriter(2, []);
    writer.push(captured());
    expect(writer.full).toBe(false);
    writer.push(captured());
    expect(writer.full).toBe(true);
    expect(writer.take()?.count).toBe(2);
    expect([writer.count, writer.take()]).toEqual([0, undefined]);
  });
});
