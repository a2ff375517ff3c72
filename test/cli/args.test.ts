import { describe, expect, it } from 'vitest';
import { parseCommand, parseSubject, STORE_OPTIONS } from '../../src/cli/args.js';
import { UsageError } from '../../src/cli/errors.js';

function refused(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseSubject', () => {
  it.each([
    ['visitor:abc', { visitorId: 'abc' }],
    ['VISITOR:abc', { visitorId: 'abc' }],
    ['visitorId:abc', { visitorId: 'abc' }],
    ['visitor:a:b', { visitorId: 'a:b' }],
    ['abc', { visitorId: 'abc' }],
    ['email:Ann@Example.org', { email: 'Ann@Example.org' }],
    ['ann@example.org', { email: 'ann@example.org' }],
    ['ip:203.0.113.7', { ip: '203.0.113.7' }],
    ['ip:::ffff:203.0.113.7', { ip: '203.0.113.7' }],
  ])('reads %s', (text, subject) => {
    expect(parseSubject(text, 'export')).toEqual(subject);
  });

  it('refuses a kind it does not know, listing the accepted forms', () => {
    expect(refused(() => parseSubject('phone:123', 'export'))).toBe(
      'export: unknown subject kind "phone:"; a subject is visitor:<id>, email:<address>, ip:<address>, or a bare e-mail address (with an @) or visitor id',
    );
    expect(refused(() => parseSubject('emial:x@y.z', 'erase'))).toContain(
      'unknown subject kind "emial:" (did you mean "email:"?)',
    );
    expect(refused(() => parseSubject('visiter:abc', 'erase'))).toContain(
      'did you mean "visitor:"',
    );
  });

  it('refuses a bare IP address: ip: says that one is meant', () => {
    expect(refused(() => parseSubject('203.0.113.7', 'export'))).toBe(
      'export: "203.0.113.7" is an IP address: write ip:203.0.113.7 (with --policy) to mean one',
    );
    expect(refused(() => parseSubject('fe80::1', 'export'))).toContain('write ip:fe80::1');
  });

  it('refuses empty and malformed values', () => {
    expect(refused(() => parseSubject(undefined, 'export'))).toContain('--subject is required');
    expect(refused(() => parseSubject('email:nobody', 'export'))).toContain(
      'not an e-mail address',
    );
    expect(refused(() => parseSubject('ip:999.1.1.1', 'export'))).toContain('not an IP address');
    expect(refused(() => parseSubject('visitor:', 'export'))).toContain('visitor id is empty');
  });
});

describe('parseCommand', () => {
  it('says in plain words that an option needs a value, or takes none', () => {
    expect(refused(() => parseCommand('stats', ['--store'], STORE_OPTIONS))).toBe(
      'stats: --store needs a value; see --help',
    );
    expect(refused(() => parseCommand('stats', ['--json=yes'], STORE_OPTIONS))).toBe(
      'stats: --json takes no value; see --help',
    );
    expect(refused(() => parseCommand('stats', ['--tabel', 'x'], STORE_OPTIONS))).toBe(
      'stats: unknown option --tabel (did you mean --table?); see --help',
    );
    expect(refused(() => parseCommand('stats', ['--bogus'], STORE_OPTIONS))).toBe(
      'stats: unknown option --bogus; see --help',
    );
  });
});
