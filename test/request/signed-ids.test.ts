import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { presets } from '../../src/index.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { CookieJar } from '../../src/request/cookie-jar.js';
import { verifyVisitorId } from '../../src/request/cookies.js';
import { Decider } from '../../src/request/decide.js';
import { SIGNED_IDS_BATCH, SignedIdPool, signIds } from '../../src/request/signed-ids.js';
import { exchange } from '../helpers/jar-exchange.js';

const SECRET = 'signed-ids-test-secret-0123456789-abcdef';
const OLD = 'signed-ids-test-old-secret-0123456789-abc';
const compiled = compilePolicy(presets.ccpa);
const decision = new Decider(compiled).decide({
  gpc: false,
  dnt: false,
  choice: undefined,
  app: undefined,
});

/** A pool whose requests are kept, to be answered by the test. */
function pool() {
  const asked: number[] = [];
  return { asked, pool: new SignedIdPool((count) => asked.push(count)) };
}

/** A new visitor's request to the jar: the id it records and the Set-Cookie line it sends. */
function newVisitor(jar: CookieJar) {
  const { req, res, setCookies } = exchange(undefined);
  const id = jar.apply(res, false, jar.read(req, false), decision);
  const line = setCookies()[0] ?? '';
  const value = line.split(';')[0]!.slice('pl_vid='.length);
  return { id, line, value };
}

describe('signIds', () => {
  it('makes distinct ids, each with its value signed by the secret and percent-encoded', () => {
    const list = signIds(100, SECRET);
    expect(list).toHaveLength(200);
    const ids = new Set<string>();
    for (let i = 0; i < list.length; i += 2) {
      const [id, value] = [list[i]!, list[i + 1]!];
      ids.add(id);
      expect(value).toMatch(/^s%3A[A-Za-z0-9_-]{22}\.[A-Za-z0-9%]+$/);
      expect(verifyVisitorId(decodeURIComponent(value), [SECRET])).toBe(id);
      expect(verifyVisitorId(decodeURIComponent(value), [OLD])).toBeUndefined();
    }
    expect(ids.size).toBe(100);
  });
});

describe('SignedIdPool', () => {
  it('is empty until the first batch: it asks once and hands out nothing', () => {
    const { asked, pool: ids } = pool();
    expect(ids.take()).toBeUndefined();
    expect(ids.take()).toBeUndefined();
    expect(asked).toEqual([SIGNED_IDS_BATCH]);
  });

  it('hands out each id once, in order, and asks for more before it runs dry', () => {
    const { asked, pool: ids } = pool();
    ids.fill();
    const first = signIds(SIGNED_IDS_BATCH, SECRET);
    ids.add(first);
    const taken: string[] = [];
    while (asked.length === 1) taken.push(ids.take()![0]);
    // Asked with ids still left: the next batch arrives before a request has to sign one itself.
    expect(ids.size).toBeGreaterThan(0);
    const second = signIds(SIGNED_IDS_BATCH, SECRET);
    ids.add(second);
    for (let next = ids.take(); next !== undefined; next = ids.take()) taken.push(next[0]);
    const all = [...first, ...second].filter((_, i) => i % 2 === 0);
    expect(taken.slice(0, all.length)).toEqual(all);
    expect(new Set(taken).size).toBe(taken.length);
    expect(taken.length).toBe(2 * SIGNED_IDS_BATCH);
    // Once more as the second batch ran low, and not again while that request is unanswered.
    expect(asked).toEqual([SIGNED_IDS_BATCH, SIGNED_IDS_BATCH, SIGNED_IDS_BATCH]);
  });

  it('asks again after the worker it asked stopped without answering', () => {
    const { asked, pool: ids } = pool();
    ids.fill();
    ids.fill();
    expect(asked).toHaveLength(1);
    ids.lost();
    ids.fill();
    expect(asked).toHaveLength(2);
  });
});

describe('CookieJar with ids signed ahead', () => {
  it('issues an id from the pool, in the same cookie form as one signed inline', () => {
    const inline = newVisitor(new CookieJar(compiled, [SECRET]));
    const jar = new CookieJar(compiled, [SECRET]);
    const { pool: ids } = pool();
    ids.add(signIds(SIGNED_IDS_BATCH, SECRET));
    jar.useSignedIds(ids);
    const before = ids.size;
    const ahead = newVisitor(jar);
    expect(ids.size).toBe(before - 1);
    // The two lines were made moments apart: their Expires may fall in different seconds.
    const form = (line: string, value: string) =>
      line.replace(value, 'VALUE').replace(/Expires=[^;]+/, 'Expires=DATE');
    expect(form(ahead.line, ahead.value)).toBe(form(inline.line, inline.value));
    const expires = (line: string) => Date.parse(/Expires=([^;]+)/.exec(line)![1]!);
    expect(Math.abs(expires(ahead.line) - expires(inline.line))).toBeLessThanOrEqual(2000);
    expect(ahead.value).toMatch(/^s%3A[A-Za-z0-9_-]{22}\.[A-Za-z0-9%]+$/);
    expect(verifyVisitorId(decodeURIComponent(ahead.value), [SECRET])).toBe(ahead.id);
  });

  it('signs inline, with the first secret of a rotation, when the pool is empty', () => {
    const jar = new CookieJar(compiled, [SECRET, OLD]);
    const { asked, pool: ids } = pool();
    jar.useSignedIds(ids);
    const { id, value } = newVisitor(jar);
    expect(asked).toEqual([SIGNED_IDS_BATCH]);
    expect(verifyVisitorId(decodeURIComponent(value), [SECRET])).toBe(id);
  });

  it('knows the id it issued from the pool when its cookie comes back', () => {
    const jar = new CookieJar(compiled, [SECRET]);
    const { pool: ids } = pool();
    ids.add(signIds(4, SECRET));
    jar.useSignedIds(ids);
    const { id, value } = newVisitor(jar);
    const req = { method: 'GET', headers: { cookie: `pl_vid=${value}` } } as IncomingMessage;
    expect(jar.read(req, false).visitorId).toBe(id);
  });
});
