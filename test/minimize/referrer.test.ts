import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { minimizeReferrer } from '../../src/minimize/referrer.js';
import { ELLIPSIS } from '../../src/minimize/text.js';
import { minimizePath } from '../../src/minimize/url.js';

describe('minimizeReferrer', () => {
  it('keeps the origin by default detail', () => {
    expect(
      minimizeReferrer('https://www.google.com/search?q=secret#x', 'example.com', 'origin'),
    ).toBe('https://www.google.com');
    expect(minimizeReferrer('http://news.example.org:8080/a/b', 'example.com', 'origin')).toBe(
      'http://news.example.org:8080',
    );
    expect(minimizeReferrer('https://other.example:443/a', 'example.com', 'origin')).toBe(
      'https://other.example',
    );
  });

  it('keeps origin and path at full detail, never the query or fragment', () => {
    expect(
      minimizeReferrer('https://blog.example.org/posts/latest?utm=x#top', 'example.com', 'full'),
    ).toBe('https://blog.example.org/posts/latest');
    expect(minimizeReferrer('https://other.example', 'example.com', 'full')).toBe(
      'https://other.example/',
    );
  });

  it('omits same-site referrers, ignoring port, case, trailing dot and www', () => {
    const cases: [string, string][] = [
      ['https://example.com/page', 'example.com'],
      ['https://example.com:8443/page', 'example.com:3000'],
      ['http://EXAMPLE.com/page', 'Example.COM'],
      ['https://www.example.com/', 'example.com'],
      ['https://example.com/', 'www.example.com:8080'],
      ['https://example.com./', 'example.com'],
      ['http://[::1]:3000/a', '[::1]:8080'],
      ['http://127.0.0.1:3000/a', '127.0.0.1:3000'],
    ];
    for (const [referer, host] of cases) {
      expect(minimizeReferrer(referer, host, 'full')).toBeUndefined();
    }
  });

  it('treats other subdomains as other sites', () => {
    expect(minimizeReferrer('https://blog.example.com/a', 'example.com', 'origin')).toBe(
      'https://blog.example.com',
    );
  });

  it('keeps a referrer when the request host is unknown', () => {
    expect(minimizeReferrer('https://a.example/x', undefined, 'origin')).toBe('https://a.example');
  });

  it('drops non-http schemes and unparseable values', () => {
    for (const referer of [
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'file:///etc/passwd',
      'ftp://files.example/a',
      'android-app://com.example.app/',
      'about:blank',
      'not a url',
      '/relative/path',
      '',
      undefined,
    ]) {
      expect(minimizeReferrer(referer, 'example.com', 'full')).toBeUndefined();
    }
  });

  it('drops user name and password', () => {
    const out = minimizeReferrer('https://alice:hunter2@other.example/p?q', 'example.com', 'full');
    expect(out).toBe('https://other.example/p');
    expect(minimizeReferrer('https://alice@other.example/', 'example.com', 'origin')).toBe(
      'https://other.example',
    );
  });

  it('normalises international names to punycode', () => {
    expect(minimizeReferrer('https://bücher.example/x', 'example.com', 'origin')).toBe(
      'https://xn--bcher-kva.example',
    );
  });

  it('caps the length and keeps the result on one line', () => {
    const out = minimizeReferrer(
      `https://other.example/${'abc/'.repeat(750)}`,
      'example.com',
      'full',
    );
    expect(out).toHaveLength(1024);
    expect(out?.endsWith(ELLIPSIS)).toBe(true);
    expect(minimizeReferrer('https://other.example/a\u2028b', 'example.com', 'full')).toBe(
      'https://other.example/a%E2%80%A8b',
    );
  });
});

describe('a full referrer keeps its path only as a request path would be kept', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';

  it('redacts e-mail addresses, ids, tokens, addresses and session parameters', () => {
    const referer = `https://other.example/u/jane.doe@example.com/orders/123456789;jsessionid=ABC123/t/${jwt}/ip/203.0.113.77?x=1#y`;
    expect(minimizeReferrer(referer, 'example.com', 'full')).toBe(
      'https://other.example/u/:email/orders/:id;jsessionid=[redacted]/t/%5Bredacted-jwt%5D/ip/:id',
    );
    expect(
      minimizeReferrer('https://other.example/u/jane%40example.com', 'example.com', 'full'),
    ).toBe('https://other.example/u/:email');
    expect(minimizeReferrer('https://other.example/img/logo@2x.png', 'example.com', 'full')).toBe(
      'https://other.example/img/logo@2x.png',
    );
  });

  it('by the same redaction as a request path that no route matched', () => {
    const segment = fc.oneof(
      fc.constantFrom(
        'products',
        '42',
        'jane.doe@example.com',
        'logo@2x.png',
        '3f2504e0-4f89-11d3-9a0c-030512345678',
        'd41d8cd98f00b204e9800998ecf8427e',
        jwt,
        '203.0.113.77',
        '2001:db8::1',
        'order-123456789',
        'x;jsessionid=ABC',
        'map;lat=1;user=jane@example.com',
        'caf%C3%A9',
      ),
      fc.webSegment(),
    );
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), (segments) => {
        const path = new URL(`https://other.example/${segments.join('/')}`).pathname;
        expect(minimizeReferrer(`https://other.example${path}`, 'example.com', 'full')).toBe(
          `https://other.example${minimizePath(path, new Set(), 1024, 'ids')}`,
        );
      }),
      { numRuns: 500 },
    );
  });
});
