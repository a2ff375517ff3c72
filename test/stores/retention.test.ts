import { describe, expect, it } from 'vitest';
import {
  applyRetention,
  compareRecords,
  countOutcome,
  emptyPurgeResult,
  matchesQuery,
  matchesSubject,
  normalizeEmail,
} from '../../src/stores/retention.js';
import { makeRecord } from '../helpers/records.js';

const T0 = '2025-03-01T12:00:00.000Z';

function recordWithExpiries() {
  return makeRecord({
    time: T0,
    optional: { email: 'Ada@Example.org', name: 'Ada' },
    expires: {
      client: '2025-03-02T12:00:00.000Z',
      nonessential: '2025-03-10T12:00:00.000Z',
      optional: '2025-03-10T12:00:00.000Z',
      essential: '2025-04-01T12:00:00.000Z',
    },
  });
}

describe('applyRetention', () => {
  it('returns the input itself when nothing has expired', () => {
    const record = recordWithExpiries();
    const outcome = applyRetention(record, new Date('2025-03-02T11:59:59.999Z'));
    expect(outcome.record).toBe(record);
    expect(outcome.removed).toEqual([]);
  });

  it('drops a category and its expiry at the exact expiry time, without mutating the input', () => {
    const record = recordWithExpiries();
    const before = structuredClone(record);
    const outcome = applyRetention(record, new Date('2025-03-02T12:00:00.000Z'));
    expect(outcome.removed).toEqual(['client']);
    expect(outcome.record).not.toBe(record);
    expect(outcome.record).not.toHaveProperty('client');
    expect(outcome.record?.expires).not.toHaveProperty('client');
    expect(outcome.record?.nonessential).toEqual(record.nonessential);
    expect(outcome.record?.expires.essential).toBe('2025-04-01T12:00:00.000Z');
    expect(record).toEqual(before);
  });

  it('drops several categories in category order', () => {
    const outcome = applyRetention(recordWithExpiries(), new Date('2025-03-20T00:00:00.000Z'));
    expect(outcome.removed).toEqual(['client', 'nonessential', 'optional']);
    expect(Object.keys(outcome.record?.expires ?? {})).toEqual(['essential']);
    expect(outcome.record?.essential.path).toBe('/products/42');
  });

  it('deletes the record when essential expires and still lists the other expired categories', () => {
    const outcome = applyRetention(recordWithExpiries(), new Date('2025-04-01T12:00:00.000Z'));
    expect(outcome.record).toBeUndefined();
    expect(outcome.removed).toEqual(['client', 'nonessential', 'optional']);
  });

  it('leaves a held record unchanged whatever has expired', () => {
    const record = makeRecord({
      security: { reasons: ['sqli'], hold: true },
      expires: { client: T0, essential: T0, security: T0 },
    });
    const outcome = applyRetention(record, new Date('2030-01-01T00:00:00.000Z'));
    expect(outcome.record).toBe(record);
    expect(outcome.removed).toEqual([]);
  });

  it('expires a security record that is not held', () => {
    const record = makeRecord({
      security: { reasons: ['sqli'], hold: false },
      expires: { essential: '2026-01-01T00:00:00.000Z', security: T0 },
    });
    const outcome = applyRetention(record, new Date(T0));
    expect(outcome.removed).toEqual(['security']);
    expect(outcome.record).not.toHaveProperty('security');
  });

  it('keeps categories that have no expiry', () => {
    const record = makeRecord({ expires: {} });
    expect(applyRetention(record, new Date('2100-01-01T00:00:00.000Z')).record).toBe(record);
  });

  it('treats an unparseable expiry as expired', () => {
    const record = makeRecord({
      expires: { client: 'soon', essential: '2100-01-01T00:00:00.000Z' },
    });
    const outcome = applyRetention(record, new Date(T0));
    expect(outcome.removed).toEqual(['client']);
  });
});

describe('matchesSubject', () => {
  const record = makeRecord({
    nonessential: { visitorId: 'AbC123' },
    optional: { email: '  Ada.Lovelace@Example.ORG ' },
  });

  it('compares the visitor id exactly', () => {
    expect(matchesSubject(record, { visitorId: 'AbC123' })).toBe(true);
    expect(matchesSubject(record, { visitorId: 'abc123' })).toBe(false);
    expect(matchesSubject(record, { visitorId: 'AbC12' })).toBe(false);
  });

  it('compares e-mail trimmed and case-insensitively', () => {
    expect(matchesSubject(record, { email: 'ada.lovelace@example.org' })).toBe(true);
    expect(matchesSubject(record, { email: ' ADA.LOVELACE@EXAMPLE.ORG\t' })).toBe(true);
    expect(matchesSubject(record, { email: 'ada@example.org' })).toBe(false);
  });

  it('never matches a record without the field or an empty subject', () => {
    const bare = makeRecord({ nonessential: undefined, optional: undefined });
    expect(matchesSubject(bare, { visitorId: 'AbC123' })).toBe(false);
    expect(matchesSubject(bare, { email: 'ada@example.org' })).toBe(false);
    expect(matchesSubject(bare, { email: '' })).toBe(false);
    expect(matchesSubject(makeRecord({ optional: { email: ' ' } }), { email: '  ' })).toBe(false);
    expect(matchesSubject(makeRecord({ nonessential: { visitorId: '' } }), { visitorId: '' })).toBe(
      false,
    );
  });

  it('normalizes e-mail by trimming and lower-casing', () => {
    expect(normalizeEmail('  A@B.C ')).toBe('a@b.c');
  });
});

describe('matchesQuery', () => {
  const record = makeRecord({ time: T0, nonessential: { visitorId: 'v1' } });

  it('treats from as inclusive and to as exclusive', () => {
    expect(matchesQuery(record, { from: new Date(T0) })).toBe(true);
    expect(matchesQuery(record, { to: new Date(T0) })).toBe(false);
    expect(matchesQuery(record, { to: new Date(Date.parse(T0) + 1) })).toBe(true);
    expect(matchesQuery(record, { from: new Date(Date.parse(T0) + 1) })).toBe(false);
  });

  it('combines the subject with the time range', () => {
    const range = { from: new Date('2025-01-01'), to: new Date('2026-01-01') };
    expect(matchesQuery(record, { ...range, subject: { visitorId: 'v1' } })).toBe(true);
    expect(matchesQuery(record, { ...range, subject: { visitorId: 'v2' } })).toBe(false);
  });

  it('matches everything with an empty query, and ignores limit', () => {
    expect(matchesQuery(record, {})).toBe(true);
    expect(matchesQuery(record, { limit: 0 })).toBe(true);
  });
});

describe('purge counting and ordering', () => {
  it('starts every strippable category at zero', () => {
    expect(emptyPurgeResult()).toEqual({
      removed: { client: 0, nonessential: 0, optional: 0, security: 0 },
      deleted: 0,
    });
  });

  it('adds outcomes up', () => {
    const result = emptyPurgeResult();
    countOutcome(result, { record: makeRecord(), removed: ['client'] });
    countOutcome(result, { record: undefined, removed: ['client', 'optional'] });
    expect(result).toEqual({
      removed: { client: 2, nonessential: 0, optional: 1, security: 0 },
      deleted: 1,
    });
  });

  it('orders by time, then id', () => {
    const a = makeRecord({ time: T0, id: 'b' });
    const b = makeRecord({ time: T0, id: 'a' });
    const c = makeRecord({ time: '2025-01-01T00:00:00.000Z', id: 'z' });
    expect([a, b, c].sort(compareRecords).map((r) => r.id)).toEqual(['z', 'a', 'b']);
  });
});
