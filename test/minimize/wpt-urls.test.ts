import { readFileSync } from 'node:fs';
import { parse as parseHost } from 'tldts';
import { describe, expect, it } from 'vitest';
import { minimizeReferrer } from '../../src/minimize/referrer.js';
import { minimizePath } from '../../src/minimize/url.js';

/**
 * The web-platform-tests URL inputs (test/fixtures/wpt-url-cases.json, written by
 * scripts/fixtures/generate-wpt-url-cases.mjs), each as a request target and as a referrer, and
 * each again with credentials, a query, a fragment and a path segment that hold personal data.
 */
const { cases } = JSON.parse(
  readFileSync(new URL('../fixtures/wpt-url-cases.json', import.meta.url), 'utf8'),
) as { cases: { input: string; failure?: true }[] };

const none = new Set<string>();
const MODES = ['keep', 'personal', 'ids'] as const;
const EMAIL = 'jane.doe@example.com';
const SECRET = 'private-value-7731';

/** `input` with personal data put where a URL can hold it, when it parses and can hold it. */
function withPersonalData(input: string): string | undefined {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  url.username = 'jane';
  url.password = 'hunter2';
  url.pathname = `${url.pathname.replace(/\/$/, '')}/${EMAIL}`;
  url.search = `?email=${EMAIL}&q=${SECRET}`;
  url.hash = `#${EMAIL}-${SECRET}`;
  return url.href;
}

/** E-mail addresses in `text` whose domain ends in a real top-level domain. */
function emailsIn(text: string): string[] {
  const found = text.match(/[^\s@/?#&=;]+@[a-z0-9.-]+\.[a-z]{2,}/gi) ?? [];
  return found.filter((email) => parseHost(email.slice(email.indexOf('@') + 1)).isIcann === true);
}

/** What must not survive of `input` in a stored path or referrer. */
function assertMinimal(stored: string | undefined, input: string): void {
  if (stored === undefined) return;
  expect(stored).not.toContain('?');
  expect(stored).not.toContain('#');
  const decoded = safeDecode(stored);
  expect(emailsIn(decoded)).toEqual([]);
  expect(decoded).not.toContain(SECRET);
  let url: URL | undefined;
  try {
    url = new URL(input);
  } catch {
    url = undefined;
  }
  if (url === undefined) return;
  // Userinfo: never with its `@`, and never the password.
  if (url.username !== '') expect(stored).not.toContain(`${url.username}@`);
  if (url.password !== '') {
    expect(stored).not.toContain(`:${url.password}@`);
    expect(stored).not.toContain('hunter2');
  }
  // Query values and the fragment: none that does not also stand in the kept part of the URL.
  const kept = url.origin + url.pathname;
  for (const [, value] of url.searchParams) {
    if (value.length > 2 && !kept.includes(value)) expect(decoded).not.toContain(value);
  }
  const fragment = url.hash.slice(1);
  if (fragment.length > 2 && !kept.includes(fragment)) expect(stored).not.toContain(fragment);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

describe('WPT URL inputs through path and referrer minimisation', () => {
  it('the fixture holds the cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
    expect(cases.filter((c) => c.failure).length).toBeGreaterThan(50);
  });

  const inputs = cases.flatMap(({ input }) => {
    const personal = withPersonalData(input);
    return personal === undefined ? [input] : [input, personal];
  });

  it('as a request target (absolute form, and origin form when it parses): nothing throws, nothing personal survives', () => {
    for (const input of inputs) {
      const targets = [input];
      try {
        const url = new URL(input);
        targets.push(url.pathname + url.search + url.hash);
      } catch {
        // Kept as the absolute form only.
      }
      for (const target of targets) {
        for (const mode of MODES) {
          const stored = minimizePath(target, none, 2048, mode);
          // `keep` redacts only secret path parameters: no e-mail check there.
          if (mode === 'keep') {
            expect(stored).not.toContain('?');
            expect(stored).not.toContain('#');
          } else assertMinimal(stored, input);
        }
      }
    }
  });

  it('as a referrer, at origin and full detail: nothing throws, nothing personal survives', () => {
    for (const input of inputs) {
      for (const detail of ['origin', 'full'] as const) {
        const stored = minimizeReferrer(input, 'example.com', detail);
        assertMinimal(stored, input);
        if (stored !== undefined) expect(stored.startsWith('http')).toBe(true);
      }
    }
  });
});
