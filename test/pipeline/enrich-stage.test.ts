import { afterAll, describe, expect, it } from 'vitest';
import { EnrichStage, type LookupPlan } from '../../src/pipeline/enrich-stage.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { type DefinedPolicy, definePolicy } from '../../src/policy/define.js';
import { presets } from '../../src/policy/presets.js';
import type { Captured } from '../../src/request/capture.js';
import { createRuntime, type PolicyRuntime } from '../../src/runtime.js';
import { SECRET } from '../helpers/app.js';
import { capturedGet } from '../helpers/captured.js';

/** A captured request from `ip` under `policy`, with no objection. */
const captured = (ip: string, policy: DefinedPolicy = presets.classic): Captured =>
  capturedGet(ip, compilePolicy(policy));

/** A stage whose company resolver counts what it is asked, and what it handed on. */
function stage(options: { fixed: boolean; cacheable: boolean; async?: boolean }) {
  const asked: string[] = [];
  const out: Captured[] = [];
  const stage = new EnrichStage({
    sink: (c) => out.push(c),
    plan: (c): LookupPlan => ({
      address: c.ip!,
      domain: false,
      company: true,
      cacheable: options.cacheable,
    }),
    company: () => (address: string) => {
      asked.push(address);
      const name = address.startsWith('10.') ? undefined : `Owner of ${address}`;
      return options.async ? Promise.resolve(name) : name;
    },
    companyFixed: options.fixed,
    logger: { warn: () => {}, error: () => {} },
  });
  return { stage, asked, out };
}

const ADDRESSES = ['81.2.69.142', '10.1.2.3', '81.2.69.142', '10.1.2.3', '2a00:1450::1'];

describe('EnrichStage: company answers', () => {
  it('from the built-in data are remembered per cacheable address, "none" too', async () => {
    const { stage: s, asked, out } = stage({ fixed: true, cacheable: true });
    for (const ip of ADDRESSES) s.push(captured(ip));
    await s.drain();
    expect(asked).toEqual(['81.2.69.142', '10.1.2.3', '2a00:1450::1']);
    // Every record still carries its own answer, from the cache or not.
    expect(out.map((c) => c.network?.company)).toEqual([
      'Owner of 81.2.69.142',
      undefined,
      'Owner of 81.2.69.142',
      undefined,
      'Owner of 2a00:1450::1',
    ]);
    expect(s.stats().company).toMatchObject({ lookups: 5, found: 3 });
  });

  it('are asked every time for an address the plan does not mark cacheable', async () => {
    const { stage: s, asked } = stage({ fixed: true, cacheable: false });
    for (const ip of ADDRESSES) s.push(captured(ip));
    await s.drain();
    expect(asked).toEqual(ADDRESSES);
  });

  it("from an app's own resolver are asked every time, and so are promised ones", async () => {
    const own = stage({ fixed: false, cacheable: true });
    for (const ip of ADDRESSES) own.stage.push(captured(ip));
    await own.stage.drain();
    expect(own.asked).toEqual(ADDRESSES);
    const promised = stage({ fixed: true, cacheable: true, async: true });
    for (const ip of ADDRESSES) promised.stage.push(captured(ip));
    await promised.stage.drain();
    expect(promised.asked).toEqual(ADDRESSES);
    expect(promised.out.map((c) => c.network?.company)[0]).toBe('Owner of 81.2.69.142');
  });
});

describe("a policy's lookup plan says whether its address may key a cache", () => {
  const runtimes: PolicyRuntime[] = [];
  afterAll(() => {
    for (const rt of runtimes) rt.close();
  });
  const planOf = (policy: DefinedPolicy, ip: string) => {
    const rt = createRuntime(policy, {
      secrets: [SECRET],
      geo: () => undefined,
      userAgentCacheSize: 10,
      redactPath: undefined,
      onHookError: () => {},
      onIncidentWithoutCategory: () => {},
    });
    runtimes.push(rt);
    return rt.plan(captured(ip, policy));
  };
  const withCompany = (client: object, name: string) =>
    definePolicy({
      ...presets.gdpr,
      name,
      categories: {
        ...presets.gdpr.categories,
        client: { ...presets.gdpr.categories.client!, company: true, ...client },
      },
    });

  it('classic, which stores the full address: the full address, cacheable', () => {
    expect(planOf(presets.classic, '81.2.69.142')).toMatchObject({
      address: '81.2.69.142',
      cacheable: true,
    });
  });

  it('a truncated /24: the network, cacheable', () => {
    expect(planOf(withCompany({}, 'trunc'), '81.2.69.142')).toMatchObject({
      address: '81.2.69.0',
      cacheable: true,
    });
  });

  it('the full address looked up but not stored in full: not cacheable', () => {
    expect(
      planOf(withCompany({ enrichFromFullAddress: true }, 'full-lookup'), '81.2.69.142'),
    ).toMatchObject({ address: '81.2.69.142', cacheable: false });
  });
});
