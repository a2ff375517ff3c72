import { describe, expect, it } from 'vitest';
import { normalizeIp } from '../../src/minimize/ip.js';
import { detectSchema } from '../../src/policy/security-detect-schema.js';
import { BurstCounter } from '../../src/security/burst.js';
import { scanText } from '../../src/security/decode.js';
import { createDetection, type DetectInput } from '../../src/security/detectors.js';

const none = () => {};
const base: DetectInput = {
  method: 'GET',
  target: '/',
  userAgent: 'Mozilla/5.0',
  status: 200,
  timeMs: 0,
};
const ip = normalizeIp('198.51.100.7');

function detect(input: Partial<DetectInput>, settings: unknown = {}) {
  return createDetection(detectSchema().parse(settings), undefined, none).detect(
    { ...base, ...input },
    ip,
  );
}

describe('built-in attack detectors', () => {
  it.each([
    '/../../etc/passwd',
    '/static/..%2f..%2fetc/passwd',
    '/static/%2e%2e/%2e%2e/etc/shadow',
    '/static/%252e%252e%252fsecret',
    '/static/%c0%ae%c0%ae/%c0%ae%c0%ae/boot.ini',
    '/download?file=../../../etc/hosts',
    '/x/..\\..\\windows\\win.ini',
    '/x/..',
  ])('flags path traversal in %s', (target) => {
    expect(detect({ target })).toContain('path-traversal');
  });

  it.each([
    "/products?id=1' UNION SELECT username,password FROM users--",
    '/products?id=1%27%20union%2F**%2Fselect%201,2',
    "/search?q=x' OR '1'='1",
    '/item?id=1;WAITFOR DELAY 0:0:5',
    '/item?id=1 AND sleep(5)',
  ])('flags SQL injection in %s', (target) => {
    expect(detect({ target })).toContain('sql-injection');
  });

  it.each([
    '/search?q=<script>alert(1)</script>',
    '/search?q=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E',
    '/r?to=javascript:alert(document.cookie)',
  ])('flags script injection in %s', (target) => {
    expect(detect({ target })).toContain('script-injection');
  });

  it.each(['/.env', '/.git/config', '/app/.env.bak', '/wp-login.php', '/phpmyadmin/index.php'])(
    'flags the sensitive path %s',
    (target) => {
      expect(detect({ target })).toContain('sensitive-path');
    },
  );

  it.each([
    'sqlmap/1.7.2#stable (https://sqlmap.org)',
    'Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:Port Check)',
    'Mozilla/5.0 zgrab/0.x',
    'masscan/1.3 (https://github.com/robertdavidgraham/masscan)',
    'Nmap Scripting Engine; https://nmap.org/book/nse.html',
  ])('flags the attack tool %s', (userAgent) => {
    expect(detect({ userAgent })).toEqual(['attack-tool']);
  });

  it.each([
    '/',
    '/products/42?color=blue',
    '/blog/2024/05/what-is-new...',
    '/docs/a..b/c',
    '/search?q=union+station+selection',
    '/search?q=the+script+was+good',
    '/environment',
    '/.well-known/gpc.json',
    '/git/config-tips',
  ])('leaves the ordinary request %s alone', (target) => {
    expect(detect({ target })).toEqual([]);
  });

  it('gives a User-Agent the same verdict every time, past the cache of verdicts and its bounds', () => {
    const detection = createDetection(detectSchema().parse({}), undefined, none);
    const check = (userAgent: string) =>
      detection.detect({ ...base, userAgent }, ip).includes('attack-tool');
    const long = `Mozilla/5.0 ${'x'.repeat(600)} sqlmap/1.7`;
    for (let round = 0; round < 3; round++) {
      // More distinct strings than the cache holds, so the verdicts are forgotten and made again.
      for (let i = 0; i < 1500; i++) {
        expect(check(`Mozilla/5.0 (X11; Linux) Firefox/${i}`)).toBe(false);
        if (i % 500 === 0) {
          expect(check('sqlmap/1.7.2#stable (https://sqlmap.org)')).toBe(true);
          expect(check('SQLMAP/1.7')).toBe(true);
          expect(check(long)).toBe(true);
          expect(check(`Mozilla/5.0 ${'x'.repeat(1100)} sqlmap/1.7`)).toBe(false);
        }
      }
    }
  });

  it('turns each detector off or raises its threshold', () => {
    expect(detect({ target: '/.env' }, { sensitivePaths: false })).toEqual([]);
    expect(detect({ target: '/wp-login.php' }, { sensitivePaths: { wordpress: true } })).toEqual(
      [],
    );
    expect(detect({ target: '/internal/x' }, { sensitivePaths: { paths: ['/internal'] } })).toEqual(
      ['sensitive-path'],
    );
    expect(detect({ target: '/s?q=<script>' }, { scriptInjection: { threshold: 2 } })).toEqual([]);
    expect(detect({ userAgent: 'sqlmap' }, { attackTools: false })).toEqual([]);
    expect(detect({ userAgent: 'EvilScan/1' }, { attackTools: { agents: ['evilscan'] } })).toEqual([
      'attack-tool',
    ]);
  });

  it('flags a burst of 401/403 from one /24 once it reaches the threshold, within the window', () => {
    const detection = createDetection(
      detectSchema().parse({ authFailures: { threshold: 3, window: 'PT1M' } }),
      undefined,
      none,
    );
    const at = (address: string, timeMs: number, status = 401) =>
      detection.detect({ ...base, target: '/login', status, timeMs }, normalizeIp(address));
    expect(at('203.0.113.1', 0)).toEqual([]);
    expect(at('203.0.113.2', 1000, 403)).toEqual([]);
    // Another network does not add to this one's count.
    expect(at('203.0.114.2', 1500)).toEqual([]);
    expect(at('203.0.113.3', 2000)).toEqual(['auth-failure-burst']);
    // A new window starts over.
    expect(at('203.0.113.4', 70_000)).toEqual([]);
  });

  it('flags a burst of 404s from one /48', () => {
    const detection = createDetection(
      detectSchema().parse({ notFound: { threshold: 2 } }),
      undefined,
      none,
    );
    const at = (address: string) =>
      detection.detect({ ...base, target: '/nope', status: 404 }, normalizeIp(address));
    expect(at('2001:db8:1:1::1')).toEqual([]);
    expect(at('2001:db8:1:ffff::2')).toEqual(['not-found-burst']);
  });

  it("adds the app's own reasons and survives a throwing hook", () => {
    const errors: unknown[] = [];
    const own = createDetection(
      detectSchema().parse({}),
      (r) => (r.target.startsWith('/admin') ? ['admin-probe', 7 as never] : undefined),
      (e) => errors.push(e),
    );
    expect(own.detect({ ...base, target: '/admin/x' }, ip)).toEqual(['admin-probe']);
    const throwing = createDetection(
      detectSchema().parse({}),
      () => {
        throw new Error('boom');
      },
      (e) => errors.push(e),
    );
    expect(throwing.detect({ ...base, target: '/.env' }, ip)).toEqual(['sensitive-path']);
    expect(errors).toHaveLength(1);
  });

  it('scans at most 16 KB of a hostile target, decoded twice', () => {
    expect(scanText('%252e%252E%252F')).toBe('../');
    expect(scanText(`/${'a'.repeat(40_000)}`).length).toBe(16 * 1024);
    expect(scanText('%zz%4')).toBe('%zz%4');
  });
});

describe('burst counting', () => {
  it('counts events that arrive slightly out of order in the same window', () => {
    const counter = new BurstCounter(3, 60_000, 10);
    const ip = normalizeIp('198.51.100.7')!;
    expect(counter.hit(ip, 1_000_500)).toBe(false);
    // Enrichment finished sooner for a later request: the earlier one comes second.
    expect(counter.hit(ip, 1_000_000)).toBe(false);
    expect(counter.hit(ip, 1_000_900)).toBe(true);
    // An hour before: another window.
    expect(counter.hit(ip, 1_000_000 - 3_600_000)).toBe(false);
  });
});
