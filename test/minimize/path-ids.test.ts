import { describe, expect, it } from 'vitest';
import { redactPathSegments } from '../../src/minimize/path.js';
import { minimizePath } from '../../src/minimize/url.js';

const none = new Set<string>();

describe('path ids and e-mail addresses', () => {
  it.each([
    ['/users/123456', '/users/:id'],
    ['/users/123456/orders/42', '/users/:id/orders/:id'],
    ['/files/3f2504e0-4f89-11d3-9a0c-0305e82c3301', '/files/:id'],
    ['/blobs/9f86d081884c7d659a2feaa0c55ad015', '/blobs/:id'],
    ['/u/jane.doe@example.com', '/u/:email'],
    ['/u/jane.doe%40example.com/settings', '/u/:email/settings'],
    ['/shop;jsessionid=ABC/item/77', '/shop;jsessionid=[redacted]/item/:id'],
    ['/a/b/c', '/a/b/c'],
    ['/v2/products/red-shoes', '/v2/products/red-shoes'],
    ['/deadbeef', '/deadbeef'],
    ['/', '/'],
  ])('without a route template %s becomes %s', (url, expected) => {
    expect(minimizePath(url, none, 2048, 'ids')).toBe(expected);
  });

  it('with a route template, ids stay (the route names them) but e-mails and tokens go', () => {
    expect(minimizePath('/users/123456', none, 2048, 'personal')).toBe('/users/123456');
    expect(minimizePath('/u/jane@example.com', none, 2048, 'personal')).toBe('/u/:email');
    expect(
      minimizePath(
        '/reset/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
        none,
        2048,
        'personal',
      ),
    ).toBe('/reset/%5Bredacted-jwt%5D');
  });

  it('keeps the query rules and the default (keep) unchanged', () => {
    expect(minimizePath('/users/1?page=2', new Set(['page']), 2048, 'ids')).toBe(
      '/users/:id?page=2',
    );
    expect(minimizePath('/users/123456', none)).toBe('/users/123456');
    expect(redactPathSegments('', 'ids')).toBe('');
  });

  it('survives malformed percent-encoding', () => {
    expect(redactPathSegments('/x/%E0%A4%A/12', 'ids')).toBe('/x/%E0%A4%A/:id');
  });
});

describe('paths that need no change are returned as they are', () => {
  it('still catches what has no digit: hex-letter ids, letter UUIDs, encoded e-mails', () => {
    expect(redactPathSegments('/f/abcdefab-abcd-abcd-abcd-abcdefabcdef', 'ids')).toBe('/f/:id');
    expect(redactPathSegments(`/k/${'abcdef'.repeat(6)}`, 'personal')).toBe('/k/%5Bredacted%5D');
    expect(redactPathSegments('/u/jane%40example.com', 'personal')).toBe('/u/:email');
    expect(redactPathSegments('/t/eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'personal')).toBe(
      '/t/%5Bredacted-jwt%5D',
    );
  });

  it('returns the same string when nothing can match', () => {
    const path = '/products/red-shoes/reviews';
    expect(redactPathSegments(path, 'ids')).toBe(path);
    expect(redactPathSegments('/products/12', 'personal')).toBe('/products/12');
    expect(redactPathSegments('/products/12', 'ids')).toBe('/products/:id');
  });
});

describe('no part of an identifier survives a partial redaction', () => {
  // A UUID whose last group is all digits: the digit run alone was replaced, 20 hex digits stayed.
  const uuid = '3f2504e0-4f89-11d3-9a0c-030512345678';
  const parts = ['3f2504e0', '4f89', '11d3', '9a0c', '030512345678'];

  it.each([
    `/orders/${uuid}`,
    `/orders/order-${uuid}`,
    `/orders/${uuid.toUpperCase()}/items`,
    `/orders/${uuid};v=2`,
    '/k/0123-4567-89ab-cdef-0123-4567-89ab-cdef',
  ])('with and without a route: %s', (url) => {
    for (const mode of ['personal', 'ids'] as const) {
      const out = minimizePath(url, none, 2048, mode).toLowerCase();
      for (const part of parts) expect(out).not.toContain(part);
      expect(out).not.toMatch(/[0-9a-f]{4}-[0-9a-f]{4}/);
    }
  });

  it('replaces a phone number with its prefix and groups', () => {
    const out = minimizePath('/call/+49-151-123456789', none, 2048, 'personal');
    expect(out).not.toMatch(/49|151|1234/);
  });
});

describe('file names are not e-mail addresses; e-mail addresses still are', () => {
  it.each([
    '/img/logo@2x.png',
    '/img/icon@3x.webp',
    '/img/hero@1.5x.jpg',
    '/npm/lodash@4.17.21/lodash.js',
    '/fonts/inter@latest.woff2',
  ])('keeps %s', (url) => {
    expect(minimizePath(url, none, 2048, 'ids')).toBe(url);
    expect(minimizePath(url, none, 2048, 'personal')).toBe(url);
  });

  it.each([
    ['/u/jane@example.com', '/u/:email'],
    ['/u/JANE.DOE@EXAMPLE.COM', '/u/:email'],
    ['/u/jane.doe+news@mail.example.co.uk/x', '/u/:email/x'],
    ['/u/jane%40example.travel', '/u/:email'],
    ['/u/jane@example.xn--p1ai', '/u/:email'],
    ['/u/jane@%E4%BE%8B%E3%81%88.jp', '/u/:email'],
    ['/u/jane@corp.internal', '/u/:email'],
    ['/u/jane@host.example.com.', '/u/%5Bredacted-email%5D.'],
  ])('redacts %s', (url, expected) => {
    expect(minimizePath(url, none, 2048, 'ids')).toBe(expected);
    expect(minimizePath(url, none, 2048, 'personal')).toBe(expected);
  });

  it('redacts an address inside a file name, leaving the extension', () => {
    const out = minimizePath('/files/jane@example.com.pdf', none, 2048, 'ids');
    expect(out).not.toContain('jane');
    expect(out).not.toContain('example');
    expect(out.endsWith('.pdf')).toBe(true);
  });
});

describe('IP addresses in paths are identifiers', () => {
  it.each([
    ['/ip/203.0.113.77', '/ip/:id'],
    ['/peer/2001:db8::1', '/peer/:id'],
    ['/peer/2001%3Adb8%3A%3A1', '/peer/:id'],
    ['/peer/2001%3adb8%3a%3a1/status', '/peer/:id/status'],
    ['/peer/::ffff:203.0.113.77', '/peer/:id'],
    ['/peer/2001:db8:0:0:0:0:0:1', '/peer/:id'],
  ])('without a route %s becomes %s', (url, expected) => {
    expect(minimizePath(url, none, 2048, 'ids')).toBe(expected);
  });

  it.each([
    '/ip/203.0.113.77',
    '/peer/2001:db8::1',
    '/peer/2001%3Adb8%3A%3A1',
    '/logs/203.0.113.77.log',
    '/h/ec2-203-0-113-77.compute',
    '/x/fe80::1%25eth0',
    '/x/[2001:db8::1]:443',
  ])('with or without a route, none of %s survives', (url) => {
    for (const mode of ['personal', 'ids'] as const) {
      const out = decodeURIComponent(minimizePath(url, none, 2048, mode));
      expect(out).not.toMatch(/203.0.113.77|2001:db8|fe80:|0-113-77/);
    }
  });

  it('redacts addresses in kept query values', () => {
    expect(minimizePath('/s?ip=203.0.113.77', new Set(['ip']), 2048, 'ids')).toBe(
      '/s?ip=%5Bredacted%5D',
    );
  });

  it('keeps what only looks a little like an address', () => {
    for (const url of ['/at/12:30:45', '/v/1.2.3', '/2024/01/15', '/wiki/Special:Search']) {
      expect(minimizePath(url, none, 2048, 'personal')).toBe(url);
    }
  });
});
