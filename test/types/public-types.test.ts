// The public types as a TypeScript user meets them. `npm run typecheck` checks every assertion here
// (a wrong one fails the build); vitest runs the runtime halves.
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type DefinedPolicy,
  definePolicy,
  type Policy,
  PolicyError,
  type PolicyInput,
  type PrivacyLogOptions,
  presets,
  privacyLog,
  type WarningCode,
} from '../../src/index.js';

describe('presets', () => {
  it('spread into a new policy: the README example compiles and validates', () => {
    // Verbatim from "Extending a preset" (examples/readme/extend-preset.mjs).
    const gdpr = presets.gdpr;
    const policy = definePolicy({
      ...gdpr,
      name: 'my-shop',
      categories: {
        ...gdpr.categories,
        client: { ...gdpr.categories.client, geo: 'country', retention: 'P3M' },
        essential: { ...gdpr.categories.essential, query: { allow: ['page'] } },
      },
    });
    expect(policy.categories.client?.geo).toBe('country');
    expect(policy.categories.client?.retention).toBe('P3M');
    expect(policy.categories.client?.basis).toBe('legitimate-interests');
    expect(policy.categories.essential.query.allow).toEqual(['page']);
    expect(policy.categories.security).toEqual(gdpr.categories.security);
  });

  it('name the categories each one declares, and hold them', () => {
    expectTypeOf(presets.gdpr.categories.client).toEqualTypeOf<
      NonNullable<Policy['categories']['client']>
    >();
    expectTypeOf(presets.cnil.categories.nonessential).not.toBeNullable();
    // strict declares only the essential category: the others may be missing.
    expectTypeOf(presets.strict.categories.client).toBeNullable();
    for (const name of ['classic', 'gdpr', 'ccpa'] as const) {
      expect(Object.keys(presets[name].categories).sort()).toEqual([
        'client',
        'essential',
        'nonessential',
        'optional',
        'security',
      ]);
    }
    for (const name of ['cnil', 'cookieless'] as const) {
      expect(Object.keys(presets[name].categories).sort()).toEqual([
        'client',
        'essential',
        'nonessential',
      ]);
    }
    expect(Object.keys(presets.strict.categories)).toEqual(['essential']);
  });

  it('are policies and valid policy input', () => {
    expectTypeOf(presets.gdpr).toExtend<DefinedPolicy>();
    expectTypeOf(presets.gdpr).toExtend<PolicyInput>();
    expectTypeOf(presets.gdpr).toExtend<Readonly<Policy>>();
    expectTypeOf(definePolicy).returns.toEqualTypeOf<DefinedPolicy>();
  });
});

describe('policy input', () => {
  it('refuses a misspelt key and a value outside the choices at compile time and at run time', () => {
    const essential = {
      purposes: ['delivery'],
      basis: 'legitimate-interests',
      retention: 'P30D',
    } as const;
    expect(() =>
      definePolicy({
        name: 'typo',
        // @ts-expect-error: `retension` is not a key
        categories: { essential: { ...essential, retension: 'P1D' } },
      }),
    ).toThrow(PolicyError);
    expect(() =>
      definePolicy({
        name: 'bad-geo',
        // @ts-expect-error: `postcode` is not a geo precision
        categories: { essential, client: { ...essential, geo: 'postcode' } },
      }),
    ).toThrow(PolicyError);
    expectTypeOf<PolicyInput['categories']['essential']['userAgent']>().toEqualTypeOf<
      'none' | 'parsed' | 'raw' | undefined
    >();
  });
});

describe('options', () => {
  it('take warning codes from a closed list', () => {
    expectTypeOf<WarningCode>().toExtend<`WRN_${string}`>();
    expectTypeOf<'WRN_FULL_IP'>().toExtend<WarningCode>();
    expectTypeOf<'WRN_FULL_IPS'>().not.toExtend<WarningCode>();
    const options: PrivacyLogOptions = { warnings: ['WRN_FULL_IP', 'WRN_RETENTION_FOREVER'] };
    expectTypeOf(options.warnings).toEqualTypeOf<boolean | WarningCode[] | undefined>();
  });

  it('refuse an unknown warning code at run time, naming the nearest real one', () => {
    const typo = ['WRN_FULL_IPS'];
    // @ts-expect-error: not a warning code
    const bad: PrivacyLogOptions = { warnings: ['WRN_FULL_IPS'] };
    expect(bad.warnings).toEqual(typo);
    expect(() => privacyLog({ warnings: typo as WarningCode[] })).toThrow(
      /warnings: .*"WRN_FULL_IPS" is not a warning code; did you mean "WRN_FULL_IP"\?/,
    );
  });

  it('document and type every option without zod in sight', () => {
    expectTypeOf<PrivacyLogOptions['policy']>().toEqualTypeOf<
      PolicyInput | import('../../src/index.js').RegionalPolicy | undefined
    >();
    expectTypeOf<NonNullable<PrivacyLogOptions['batch']>['size']>().toEqualTypeOf<
      number | undefined
    >();
    expectTypeOf(privacyLog).parameter(0).toEqualTypeOf<PrivacyLogOptions | undefined>();
  });
});
