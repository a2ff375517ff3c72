import { describe, expect, it } from 'vitest';
import { minimizePath, redactPathSegments } from '../../src/minimize/url.js';

const none = new Set<string>();

describe('path ids and e-mail addresses (M2)', () => {
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
