import {
  type AsnDataFiles,
  type CompanyResolver,
  findAsnData,
  loadAsnResolver,
  missingAsnMessage,
} from '../enrich/company.js';
import { DomainLookup, type ReverseLookup } from '../enrich/domain.js';
import type { DefinedPolicy } from '../policy/define.js';
import { PolicyError } from '../policy/errors.js';

/** The `enrich` options, validated. */
export interface LookupSettings {
  reverse?: ReverseLookup | undefined;
  company?: CompanyResolver | undefined;
  timeoutMs: number;
  concurrency: number;
  cacheSize: number;
  ttlMs: number;
  negativeTtlMs: number;
}

/** The network lookups the policies ask for, made once at startup and shared by all of them. */
export interface Lookups {
  domains: DomainLookup | undefined;
  /** The company resolver once usable: the user's at once, the built-in one after its load. */
  company: () => CompanyResolver | undefined;
  /** Settles when the built-in company data has loaded (or failed to). */
  companyReady: Promise<unknown> | undefined;
  /** True for the built-in resolver, whose answer for an address never changes. */
  companyFixed: boolean;
}

/**
 * The startup check of {@link createLookups} alone, loading nothing: a policy asking for the
 * company with neither a resolver of the user's nor the optional data package installed throws a
 * {@link PolicyError} that says what to install. Returns the built-in data's files when they are
 * to be used.
 */
export function checkLookups(
  policies: readonly DefinedPolicy[],
  settings: Pick<LookupSettings, 'company'>,
  keyOf: (policy: DefinedPolicy) => string,
  findData: typeof findAsnData = findAsnData,
): AsnDataFiles | undefined {
  const companyPolicies = policies.filter((p) => p.categories.client?.company === true);
  if (companyPolicies.length === 0 || settings.company !== undefined) return undefined;
  const files = findData();
  if (files === undefined) {
    throw new PolicyError(
      companyPolicies.map((p) => ({
        key: `${keyOf(p)}.categories.client.company`,
        value: true,
        message: missingAsnMessage(),
      })),
    );
  }
  return files;
}

/**
 * Sets up reverse DNS and the company resolver for the policies that want them. A policy asking
 * for the company with neither a resolver of the user's nor the optional data package installed
 * fails here, at startup, with a {@link PolicyError} that says what to install.
 *
 * @param keyOf The option key that names a policy in error messages.
 */
export function createLookups(
  policies: readonly DefinedPolicy[],
  settings: LookupSettings,
  keyOf: (policy: DefinedPolicy) => string,
  findData: typeof findAsnData = findAsnData,
): Lookups {
  const wantDomain = policies.some((p) => p.categories.client?.domain === true);
  const companyPolicies = policies.filter((p) => p.categories.client?.company === true);
  const domains = wantDomain
    ? new DomainLookup({
        reverse: settings.reverse,
        timeoutMs: settings.timeoutMs,
        concurrency: settings.concurrency,
        cacheSize: settings.cacheSize,
        ttlMs: settings.ttlMs,
        negativeTtlMs: settings.negativeTtlMs,
      })
    : undefined;
  if (companyPolicies.length === 0) {
    return { domains, company: () => undefined, companyReady: undefined, companyFixed: false };
  }
  const own = settings.company;
  if (own !== undefined) {
    return { domains, company: () => own, companyReady: undefined, companyFixed: false };
  }
  const files = checkLookups(policies, settings, keyOf, findData)!;
  let builtIn: CompanyResolver | undefined;
  const companyReady = loadAsnResolver(files).then((resolver) => {
    builtIn = resolver;
  });
  return { domains, company: () => builtIn, companyReady, companyFixed: true };
}
