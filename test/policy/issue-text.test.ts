import { describe, expect, it } from 'vitest';
import { definePolicy, PolicyError, presets, privacyLog } from '../../src/index.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { SECRET } from '../helpers/app.js';

const base = { store: new MemoryStore(), secret: SECRET, warnings: false } as const;

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return (err as PolicyError).message;
  }
  throw new Error('expected a PolicyError');
}

/** zod's own wording: none of it may reach a user. */
const RAW_ZOD =
  /Too (small|big)|expected (number|string|array) to|Invalid (input|string|number)|>=|<=/;

describe('validation messages are in the library’s words', () => {
  const options: [string, object, string][] = [
    [
      'a batch size of 0',
      { batch: { size: 0 } },
      'batch.size: 0 is too small; use a whole number from 1 to 100,000',
    ],
    [
      'a huge batch size',
      { batch: { size: 1e9 } },
      'batch.size: 1000000000 is too large; use a whole number from 1 to 100,000',
    ],
    ['a fraction', { batch: { size: 1.5 } }, 'batch.size: must be a whole number, not 1.5'],
    [
      'a string for a number',
      { batch: { size: 'big' } },
      'batch.size: must be a number, not "big"',
    ],
    [
      'a negative delay',
      { batch: { maxDelayMs: -1 } },
      'batch.maxDelayMs: -1 is too small; use a whole number from 0 to 60,000',
    ],
    [
      'an empty list of secrets',
      { secret: [] },
      'secret: has too few entries (it has 0); give at least 1',
    ],
    [
      'a number for warnings',
      { warnings: 5 },
      'warnings: 5: must be true, false or a list of warning codes',
    ],
    [
      'a lower-case warning code',
      { warnings: ['nope'] },
      '"nope" is not a warning code. Codes: WRN_FULL_IP',
    ],
  ];
  it.each(options)('%s', (_name, bad, expected) => {
    const message = messageOf(() => privacyLog({ ...base, ...bad } as never));
    expect(message).toContain(expected);
    expect(message).not.toMatch(RAW_ZOD);
  });

  const policies: [string, object, string][] = [
    [
      'k of 0',
      { aggregates: { k: 0 } },
      'policy.aggregates.k: 0 is too small; use a whole number from 1 to 1,000,000',
    ],
    [
      'a truncation prefix past 32 bits',
      {
        categories: {
          ...presets.gdpr.categories,
          client: { ...presets.gdpr.categories.client!, ip: { mode: 'truncate', ipv4Prefix: 33 } },
        },
      },
      'policy.categories.client.ip.ipv4Prefix: 33 is too large; use a whole number from 0 to 32',
    ],
    [
      'an empty controller',
      { notice: { controller: '   ' } },
      'policy.notice.controller: is empty; write a value, or leave the key out',
    ],
    [
      'a long contact',
      { notice: { contact: 'x'.repeat(501) } },
      'is too long; use from 1 to 500 characters',
    ],
  ];
  it.each(policies)('%s', (_name, bad, expected) => {
    const message = messageOf(() => definePolicy({ ...presets.gdpr, ...bad } as never));
    expect(message).toContain(expected);
    expect(message).not.toMatch(RAW_ZOD);
  });

  it('keeps the messages the schema words itself', () => {
    expect(messageOf(() => privacyLog({ ...base, secret: 'short' }))).toContain(
      'secret: "short": must be at least 16 characters',
    );
  });
});
