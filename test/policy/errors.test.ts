import { describe, expect, it } from 'vitest';
import { definePolicy, PolicyError, presets, privacyLog } from '../../src/index.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { SECRET } from '../helpers/app.js';

function thrown(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return err as PolicyError;
  }
  throw new Error('expected a PolicyError');
}

const base = { store: new MemoryStore(), secret: SECRET, warnings: false } as const;

describe('bad configuration fails at startup with an actionable PolicyError', () => {
  it('a misspelt option names the option that was meant', () => {
    const err = thrown(() => privacyLog({ ...base, polcy: presets.gdpr } as never));
    expect(err.key).toBe('polcy');
    expect(err.issues[0]!.suggestion).toBe('policy');
    expect(err.message).toContain('did you mean "policy"');
  });

  it('an unknown key inside the policy lists the allowed keys', () => {
    const err = thrown(() => definePolicy({ ...presets.gdpr, signal: { gpc: true } } as never));
    expect(err.key).toBe('policy.signal');
    expect(err.issues[0]!.suggestion).toBe('signals');
    expect(err.issues[0]!.allowed).toContain('categories');
  });

  it('a misspelt category key suggests the right one', () => {
    const categories = {
      ...presets.gdpr.categories,
      nonesential: presets.gdpr.categories.nonessential,
    };
    const err = thrown(() => definePolicy({ ...presets.gdpr, categories } as never));
    expect(err.key).toBe('policy.categories.nonesential');
    expect(err.message).toContain('did you mean "nonessential"');
  });

  it('a cookie over the 400-day cap is refused', () => {
    const err = thrown(() => definePolicy({ ...presets.gdpr, cookie: { maxAge: 'P14M' } }));
    expect(err.key).toBe('policy.cookie.maxAge');
    expect(err.message).toContain('400 days');
    expect(err.message).toContain("'P13M'");
  });

  it('an unkeyed hash of the IP address is refused', () => {
    const client = {
      ...presets.gdpr.categories.client!,
      ip: { mode: 'hash' as const, algorithm: 'sha256' },
    };
    const err = thrown(() =>
      definePolicy({ ...presets.gdpr, categories: { ...presets.gdpr.categories, client } }),
    );
    expect(err.key).toBe('policy.categories.client.ip.algorithm');
    expect(err.message).toContain('unkeyed');
    expect(err.issues[0]!.allowed).toEqual(['hmac-sha256']);
  });

  it('a hashing key that lives longer than 48 hours is refused', () => {
    const client = {
      ...presets.gdpr.categories.client!,
      ip: { mode: 'hash' as const, keyRotation: 'P7D' },
    };
    const err = thrown(() =>
      definePolicy({ ...presets.gdpr, categories: { ...presets.gdpr.categories, client } }),
    );
    expect(err.key).toBe('policy.categories.client.ip.keyRotation');
  });

  it('a category without retention or purposes is refused', () => {
    const { retention: _r, ...noRetention } = presets.gdpr.categories.nonessential!;
    const err = thrown(() =>
      definePolicy({
        ...presets.gdpr,
        categories: { ...presets.gdpr.categories, nonessential: noRetention } as never,
      }),
    );
    expect(err.key).toBe('policy.categories.nonessential.retention');
    expect(err.message).toContain("'forever'");
    const noPurpose = { ...presets.gdpr.categories.client!, purposes: [] };
    const err2 = thrown(() =>
      definePolicy({
        ...presets.gdpr,
        categories: { ...presets.gdpr.categories, client: noPurpose },
      }),
    );
    expect(err2.key).toBe('policy.categories.client.purposes');
  });

  it('a category that outlives the essential category is refused', () => {
    const client = { ...presets.gdpr.categories.client!, retention: 'P2Y' };
    const err = thrown(() =>
      definePolicy({ ...presets.gdpr, categories: { ...presets.gdpr.categories, client } }),
    );
    expect(err.key).toBe('policy.categories.client.retention');
    expect(err.message).toContain('essential');
  });

  it('a cookie-setting policy without a secret is refused', () => {
    const err = thrown(() =>
      privacyLog({ store: new MemoryStore(), policy: presets.gdpr, warnings: false }),
    );
    expect(err.key).toBe('secret');
    expect(err.message).toContain('COOKIE_SECRET');
    // A cookieless policy needs no secret.
    expect(() =>
      privacyLog({ store: new MemoryStore(), policy: presets.cookieless, warnings: false }),
    ).not.toThrow();
  });

  it('a wrong enum value lists what is allowed', () => {
    const client = { ...presets.gdpr.categories.client!, geo: 'street' };
    const err = thrown(() =>
      definePolicy({
        ...presets.gdpr,
        categories: { ...presets.gdpr.categories, client },
      } as never),
    );
    expect(err.key).toBe('policy.categories.client.geo');
    expect(err.issues[0]!.allowed).toEqual(['none', 'country', 'region', 'city']);
  });

  it('a short secret and a store without write() are refused', () => {
    expect(thrown(() => privacyLog({ ...base, secret: 'short' })).key).toBe('secret');
    expect(thrown(() => privacyLog({ ...base, store: {} as never })).message).toContain(
      'write(records)',
    );
  });

  it('a prefix finer than /24 needs the loudly named option', () => {
    const client = {
      ...presets.gdpr.categories.client!,
      ip: { mode: 'truncate' as const, ipv4Prefix: 32 },
    };
    const err = thrown(() =>
      definePolicy({ ...presets.gdpr, categories: { ...presets.gdpr.categories, client } }),
    );
    expect(err.message).toContain('dangerouslyAllowFinePrefix');
  });
});

describe('presets', () => {
  it('are frozen and can be extended with definePolicy', () => {
    expect(Object.isFrozen(presets.gdpr)).toBe(true);
    expect(Object.isFrozen(presets.gdpr.categories.client)).toBe(true);
    const mine = definePolicy({ ...presets.gdpr, name: 'my-site' });
    expect(mine.name).toBe('my-site');
    expect(mine.categories.client?.ip.mode).toBe('truncate');
  });

  it('the default is the most protective: gdpr, opt-in, truncated IP, no raw UA', () => {
    const { gdpr } = presets;
    expect(gdpr.categories.nonessential?.basis).toBe('consent');
    expect(gdpr.categories.client?.ip.mode).toBe('truncate');
    expect(gdpr.categories.essential.userAgent).toBe('parsed');
  });
});
