// A policy after validation: every default filled in. Written by hand beside policy-input.ts, and
// checked against the zod schema's output in schema-check.ts.
import type { LegalBasis } from '../policy/schema.js';
import type { DetectSettings } from './detect.js';
import type {
  ClientCategoryInput,
  EssentialCategoryInput,
  IpInput,
  NonessentialCategoryInput,
  NoticeInput,
  SecurityCategoryInput,
} from './policy-input.js';

type Given<T> = Exclude<T, undefined>;

/** What every category declares: why, on which basis, and for how long. */
export interface CategoryBase {
  /** Why the data is kept, in words for the notice. */
  purposes: string[];
  /** The lawful basis (GDPR Art. 6) of the processing. */
  basis: LegalBasis;
  /** An ISO 8601 duration, or `'forever'`. */
  retention: string;
  /** Free text for the generated notice. */
  description?: string | undefined;
}

/** How the visitor's address is minimised; see {@link IpInput}. */
export interface IpSettings {
  /** See {@link IpInput.mode}. */
  mode: Given<IpInput['mode']>;
  /** See {@link IpInput.ipv4Prefix}. */
  ipv4Prefix: number;
  /** See {@link IpInput.ipv6Prefix}. */
  ipv6Prefix: number;
  /** See {@link IpInput.dangerouslyAllowFinePrefix}. */
  dangerouslyAllowFinePrefix: boolean;
  /** See {@link IpInput.algorithm}. */
  algorithm: string;
  /** See {@link IpInput.keyRotation}. */
  keyRotation: string;
}

/** See {@link ClientCategoryInput}. */
export interface ClientCategory extends CategoryBase {
  /** See {@link ClientCategoryInput.ip}. */
  ip: IpSettings;
  /** See {@link ClientCategoryInput.geo}. */
  geo: Given<ClientCategoryInput['geo']>;
  /** See {@link ClientCategoryInput.enrichFromFullAddress}. */
  enrichFromFullAddress: boolean;
  /** See {@link ClientCategoryInput.domain}. */
  domain: boolean;
  /** See {@link ClientCategoryInput.company}. */
  company: boolean;
}

/** See {@link EssentialCategoryInput}. */
export interface EssentialCategory extends CategoryBase {
  /** See {@link EssentialCategoryInput.userAgent}. */
  userAgent: Given<EssentialCategoryInput['userAgent']>;
  /** See {@link EssentialCategoryInput.query}. */
  query: { allow: string[] };
  /** See {@link EssentialCategoryInput.host}. */
  host: boolean;
  /** See {@link EssentialCategoryInput.clientHints}. */
  clientHints: Given<EssentialCategoryInput['clientHints']>;
  /** See {@link EssentialCategoryInput.bots}. */
  bots: Given<EssentialCategoryInput['bots']>;
}

/** See {@link NonessentialCategoryInput}. */
export interface NonessentialCategory extends CategoryBase {
  /** See {@link NonessentialCategoryInput.basis}. */
  basis: NonessentialCategoryInput['basis'];
  /** See {@link NonessentialCategoryInput.referrer}. */
  referrer: Given<NonessentialCategoryInput['referrer']>;
  /** See {@link NonessentialCategoryInput.visitor}. */
  visitor: Given<NonessentialCategoryInput['visitor']>;
}

/** See {@link OptionalCategoryInput}. */
export interface OptionalCategory extends CategoryBase {
  /** The only field names `req.privacyLog.optional()` keeps. */
  fields: string[];
  /** Longer values are cut to this many characters. */
  maxLength: number;
}

/** See {@link SecurityCategoryInput}. */
export interface SecurityCategory extends CategoryBase {
  /** See {@link SecurityCategoryInput.ip}. */
  ip: Given<SecurityCategoryInput['ip']>;
  /** See {@link SecurityCategoryInput.detect}. */
  detect: DetectSettings;
  /** See {@link SecurityCategoryInput.hold}. */
  hold: boolean;
}

/** The categories a validated policy declares. */
export interface PolicyCategories {
  /** The visitor's network: address, location, domain, company. */
  client?: ClientCategory | undefined;
  /** The request, the browser and the time. */
  essential: EssentialCategory;
  /** Analytics: referrer and visitor id. */
  nonessential?: NonessentialCategory | undefined;
  /** What a visitor sends in a form. */
  optional?: OptionalCategory | undefined;
  /** Records kept when an attack is detected. */
  security?: SecurityCategory | undefined;
}

/** The name of a category. */
export type CategoryName = keyof PolicyCategories;

/** A policy after validation, with every default filled in. */
export interface Policy {
  /** Short name recorded with every record as `name@version`. */
  name: string;
  /** Version recorded with every record. */
  version: string;
  /** The categories of data and what each keeps. */
  categories: PolicyCategories;
  /** The analytics cookie, used when `categories.nonessential.visitor` is `cookie`. */
  cookie: { name: string; maxAge: string };
  /** The cookie that remembers opt-out or consent. */
  choices: {
    cookieName: string;
    maxAge: string;
    onWithdraw: 'erase' | 'keep';
    ledgerRetention: string;
  };
  /** What the generated notice says beyond the categories. */
  notice: {
    controller?: string | undefined;
    contact?: string | undefined;
    dpo?: string | undefined;
    transfers: string[];
    ccpa: boolean;
    consentExemption?: NoticeInput['consentExemption'];
  };
  /** Traffic rollups: bucket retention and the small-cell threshold `k`. */
  aggregates?: { retention: string; k: number } | undefined;
  /** Browser signals treated as an objection (opt-out). */
  signals: { gpc: boolean; dnt: boolean };
}

/**
 * A validated, frozen policy, from `definePolicy()` or `presets`. `C` names the categories it is
 * known to declare, so that a preset's categories spread without `undefined`:
 * `{ ...presets.gdpr.categories.client, geo: 'country' }`.
 */
export interface DefinedPolicy<C extends CategoryName = 'essential'> extends Readonly<Policy> {
  readonly categories: PolicyCategories & { [K in C]-?: Given<PolicyCategories[K]> };
}
