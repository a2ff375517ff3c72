import type { Request } from 'express';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { presets } from '../../src/index.js';
import { backTo } from '../../src/privacy/http/request-origin.js';
import { makeApp } from '../helpers/app.js';

const HOST = 'shop.example';
/** A request as backTo reads it; `host: null` stands for a request without a Host header. */
const asRequest = (referer: string | undefined, host: string | null = HOST) =>
  ({ headers: { host: host ?? undefined, referer } }) as unknown as Request;

/** Where a browser on the site goes when it follows `location`. */
const followed = (location: string) => new URL(location, `https://${HOST}/page`);

/** Same-host Referers whose path a browser would read as another host. */
const HOSTILE: readonly (readonly [string, string])[] = [
  ['double slash', `http://${HOST}//evil.example/x`],
  ['triple slash', `http://${HOST}///evil.example/x`],
  ['slash backslash', `http://${HOST}/\\evil.example/x`],
  ['backslash slash', `http://${HOST}/\\/evil.example/x`],
  ['tab between the slashes', `http://${HOST}/\t/evil.example/x`],
  ['dot segments', `http://${HOST}/./..//evil.example/x`],
  ['more dot segments', `http://${HOST}/a/../..//evil.example/x`],
  ['explicit default port', `http://${HOST}:80//evil.example/x`],
  ['https with default port', `https://${HOST}:443//evil.example/x`],
  ['upper-case host', `http://SHOP.Example//evil.example/x`],
];

const ENCODED: readonly string[] = [
  `http://${HOST}/%2F%2Fevil.example/x`,
  `http://${HOST}/%2f%2fevil.example/x`,
  `http://${HOST}/%5Cevil.example/x`,
  `http://${HOST}/%5C%5Cevil.example/x`,
  `http://${HOST}/%09/evil.example/x`,
];

function expectOnSite(location: string) {
  expect(location.startsWith('/')).toBe(true);
  expect(location).not.toMatch(/^[/\\][/\\\t]/);
  expect(followed(location).origin).toBe(`https://${HOST}`);
}

describe('backTo: a same-site path, never another site', () => {
  it.each(HOSTILE)('%s: %j stays on the site', (_name, referer) => {
    const location = backTo(asRequest(referer));
    expectOnSite(location);
    expect(location).toBe('/evil.example/x');
  });

  it.each(ENCODED)('percent-encoded %j stays encoded and on the site', (referer) => {
    const location = backTo(asRequest(referer));
    expectOnSite(location);
    expect(location).toBe(new URL(referer).pathname);
  });

  it('keeps a good same-site path and query, drops the fragment', () => {
    expect(backTo(asRequest(`http://${HOST}/privacy?from=banner`))).toBe('/privacy?from=banner');
    expect(backTo(asRequest(`https://${HOST}/products/3?x=1#reviews`))).toBe('/products/3?x=1');
    expect(backTo(asRequest(`http://${HOST}:8080/a`, `${HOST}:8080`))).toBe('/a');
    // A query that looks like a URL is only a query.
    expect(backTo(asRequest(`http://${HOST}/?next=//evil.example`))).toBe('/?next=//evil.example');
  });

  it.each([
    ['another host', 'https://evil.example/x', HOST],
    ['another port', `http://${HOST}:8080/a`, HOST],
    ['a sibling subdomain', `https://a.${HOST}/x`, HOST],
    ['userinfo naming the site', `https://${HOST}@evil.example/x`, HOST],
    ['not http', `javascript://${HOST}/%0aalert(1)`, HOST],
    ['no Referer', undefined, HOST],
    ['no Host', `http://${HOST}/a`, null],
    ['a Host with a path', `http://${HOST}/a`, `${HOST}/x`],
    ['garbage', 'not a url', HOST],
  ])('%s goes home', (_name, referer, host) => {
    expect(backTo(asRequest(referer, host))).toBe('/');
  });
});

describe('the privacy routes send a visitor back only within the site', () => {
  const { app, log } = makeApp({ policy: presets.ccpa, warnings: false });
  afterAll(() => log.close());

  const post = (path: string, referer: string) =>
    request(app).post(path).type('form').send('x=1').set('Host', HOST).set('Referer', referer);

  it.each(HOSTILE)('opt-out with %s: the 303 Location stays on the site', async (_n, referer) => {
    const res = await post('/privacy/opt-out', referer);
    expect(res.status).toBe(303);
    expectOnSite(res.headers.location!);
  });

  it.each(ENCODED)('opt-in with %j: the 303 Location stays on the site', async (referer) => {
    const res = await post('/privacy/opt-in', referer);
    expect(res.status).toBe(303);
    expectOnSite(res.headers.location!);
  });

  it.each(HOSTILE)("the erase page's Back link with %s stays on the site", async (_n, referer) => {
    const res = await post('/privacy/erase', referer);
    expect(res.status).toBe(200);
    const href = /<a href="([^"]*)">Back<\/a>/.exec(res.text)?.[1];
    expect(href).toBeDefined();
    expectOnSite(href!.replaceAll('&amp;', '&'));
  });

  it('a good same-site page comes back', async () => {
    const res = await post('/privacy/opt-out', `http://${HOST}/products/3?from=banner`);
    expect(res.headers.location).toBe('/products/3?from=banner');
    const erased = await post('/privacy/erase', `http://${HOST}/account?tab=privacy`);
    expect(erased.text).toContain('<a href="/account?tab=privacy">Back</a>');
  });
});
