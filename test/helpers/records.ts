import type { AccessRecord } from '../../src/record.js';

/** Overrides for {@link makeRecord}; a key set to `undefined` removes that property. */
export type RecordOverrides = { [K in keyof AccessRecord]?: AccessRecord[K] | undefined };

/** The time of the first record {@link makeRecord} builds; later ones are a second apart. */
export const BASE_TIME = Date.parse('2025-01-01T00:00:00.000Z');
const DAY = 24 * 60 * 60 * 1000;

let counter = 0;

/**
 * A UUIDv7-shaped id whose order follows `n`, so tests can predict the store's tie-break order.
 */
export function testId(n: number): string {
  return `01940000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** An ISO time `days` (may be fractional or negative) after `from` (ISO or epoch ms). */
export function isoAfter(from: string | number, days: number): string {
  const base = typeof from === 'number' ? from : Date.parse(from);
  return new Date(base + days * DAY).toISOString();
}

/**
 * A valid version-1 record with every category but `optional` and `security`: each call gets a
 * fresh id and a time one second after the previous record's. Default expiries, counted from its
 * time: client 7 days, nonessential 30 days, essential 90 days.
 */
export function makeRecord(overrides: RecordOverrides = {}): AccessRecord {
  counter++;
  const time = overrides.time ?? new Date(BASE_TIME + counter * 1000).toISOString();
  const record: AccessRecord = {
    v: 1,
    id: testId(counter),
    time,
    policy: 'test@1',
    consent: { analytics: true, basis: 'consent', gpc: false, dnt: false },
    client: { ip: '203.0.113.0', geo: { country: 'DE', region: 'BE', eu: true } },
    essential: {
      method: 'GET',
      path: '/products/42',
      route: '/products/:id',
      status: 200,
      durationMs: 3.5,
      bytes: 1234,
      browser: { name: 'Firefox', major: '128' },
      os: { name: 'Linux' },
      device: 'desktop',
      bot: false,
    },
    nonessential: { referrer: 'https://example.org', visitorId: `visitor-${counter}` },
    expires: {
      client: isoAfter(time, 7),
      nonessential: isoAfter(time, 30),
      essential: isoAfter(time, 90),
    },
  };
  const merged: Record<string, unknown> = { ...record, ...overrides };
  for (const [key, value] of Object.entries(merged)) {
    if (value === undefined) delete merged[key];
  }
  return merged as unknown as AccessRecord;
}
