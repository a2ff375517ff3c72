// A policy as a user writes it: every key with a default may be left out. Written by hand so that
// each key keeps its documentation in an editor; schema-check.ts proves it matches the zod schema
// that validates it, so the two cannot drift.
import type { LegalBasis } from '../policy/schema.js';
import type { DetectInput } from './detect.js';

/** What every category declares: why, on which basis, and for how long. */
export interface CategoryInputBase {
  /** Why the data is kept, in words for the notice; at least one, e.g. `['analytics']`. */
  purposes: string[];
  /** The lawful basis (GDPR Art. 6) of the processing. */
  basis: LegalBasis;
  /** How long records are kept: an ISO 8601 duration (`'P30D'`, `'P13M'`) or `'forever'`. */
  retention: string;
  /** Free text for the generated notice. */
  description?: string | undefined;
}

/** How the visitor's address is minimised. */
export interface IpInput {
  /**
   * `full` keeps the address; `truncate` keeps a network prefix; `hash` a keyed rotating HMAC;
   * `none` keeps nothing. Default `truncate`.
   */
  mode?: 'full' | 'truncate' | 'hash' | 'none' | undefined;
  /** Leading bits of an IPv4 address kept by `truncate`. Default 24. */
  ipv4Prefix?: number | undefined;
  /** Leading bits of an IPv6 address kept by `truncate`. Default 48. */
  ipv6Prefix?: number | undefined;
  /** Finer prefixes than /24 and /48 identify households; this name is meant to be loud. */
  dangerouslyAllowFinePrefix?: boolean | undefined;
  /** Only keyed hashing: `'hmac-sha256'` (the default); an unkeyed hash is refused. */
  algorithm?: string | undefined;
  /** How often the hashing key is replaced; the old key is destroyed at once. At most P2D. */
  keyRotation?: string | undefined;
}

/** The visitor's network: address, location and who announces the address. */
export interface ClientCategoryInput extends CategoryInputBase {
  /** How the address is minimised. Default a /24 (IPv4) or /48 (IPv6) prefix. */
  ip?: IpInput | undefined;
  /** GeoIP precision; never latitude or longitude. Default `none`. */
  geo?: 'none' | 'country' | 'region' | 'city' | undefined;
  /** Enrich from the full address instead of the truncated one (the full one is never stored). */
  enrichFromFullAddress?: boolean | undefined;
  /** The registrable domain of the reverse-DNS name, looked up after the response. */
  domain?: boolean | undefined;
  /**
   * The organisation that announces the address (its AS name), from an ASN database: install the
   * optional `@ip-location-db/asn`, or give `enrich.company`.
   */
  company?: boolean | undefined;
}

/** What the site needs to deliver the page: the request, the browser, the time. */
export interface EssentialCategoryInput extends CategoryInputBase {
  /** `parsed`: browser, OS, device class and bot flag; `raw` also keeps the string. */
  userAgent?: 'none' | 'parsed' | 'raw' | undefined;
  /** Query parameters that may be kept; every other one is dropped with the query string. */
  query?: { allow?: string[] | undefined } | undefined;
  /** Keep the Host header (the site's own name, not the visitor's). Default true. */
  host?: boolean | undefined;
  /**
   * User-Agent client hints: `sent` reads only those browsers send unasked (brand, mobile,
   * platform); `platform-version` also asks for the OS version (`Accept-CH`), one more
   * fingerprinting bit, to tell Windows 11 from 10 and name the real macOS and Android version.
   */
  clientHints?: 'sent' | 'platform-version' | undefined;
  /** `skip`: requests from crawlers, monitors and HTTP libraries are not recorded at all. */
  bots?: 'record' | 'skip' | undefined;
}

/** Analytics: the referrer and a visitor id, kept only as the basis allows. */
export interface NonessentialCategoryInput extends CategoryInputBase {
  /** `consent` means opt-in; `legitimate-interests` means opt-out (objection honoured). */
  basis: 'consent' | 'legitimate-interests';
  /** `origin` keeps `https://host`; `full` adds the path; same-site referrers are never kept. */
  referrer?: 'none' | 'origin' | 'full' | undefined;
  /** `cookie`: a signed random id in the analytics cookie; `daily-hash`: no cookie, a keyed hash. */
  visitor?: 'cookie' | 'daily-hash' | 'none' | undefined;
}

/** What a visitor chooses to send (a form), kept through `req.privacyLog.optional()`. */
export interface OptionalCategoryInput extends CategoryInputBase {
  /** The only field names `req.privacyLog.optional()` keeps, e.g. `['email', 'name']`. */
  fields: string[];
  /** Longer values are cut to this many characters. Default 2000. */
  maxLength?: number | undefined;
}

/** Full-fidelity records kept when an attack is detected. */
export interface SecurityCategoryInput extends CategoryInputBase {
  /**
   * The address in a security record: `prefix-preserving` is a keyed pseudonym that keeps the
   * network structure, `full` keeps the address, `sealed` encrypts it to the investigator's key.
   * Default `none`.
   */
  ip?: 'none' | 'prefix-preserving' | 'full' | 'sealed' | undefined;
  /** The built-in attack detectors; each is on unless set to `false`. */
  detect?: DetectInput | undefined;
  /** Flagged records are held (neither purged nor erased) until released. Default true. */
  hold?: boolean | undefined;
}

/** The categories a policy declares; `essential` is required, the others are opt-in. */
export interface PolicyCategoriesInput {
  /** The visitor's network: address, location, domain, company. */
  client?: ClientCategoryInput | undefined;
  /** The request, the browser and the time. */
  essential: EssentialCategoryInput;
  /** Analytics: referrer and visitor id. */
  nonessential?: NonessentialCategoryInput | undefined;
  /** What a visitor sends in a form. */
  optional?: OptionalCategoryInput | undefined;
  /** Records kept when an attack is detected. */
  security?: SecurityCategoryInput | undefined;
}

/** What the generated notice says beyond the categories. */
export interface NoticeInput {
  /** The controller: who decides what the log is for (a company or a person, by name). */
  controller?: string | undefined;
  /** How to reach the controller about privacy: an e-mail, web or postal address. */
  contact?: string | undefined;
  /** The data protection officer and how to reach them, where one is designated. */
  dpo?: string | undefined;
  /** Transfers outside the EEA (or the visitor's country) and their safeguards; none if empty. */
  transfers?: string[] | undefined;
  /** The notice also serves as the CCPA notice at collection. Default false. */
  ccpa?: boolean | undefined;
  /**
   * `cnil-audience-measurement`: nonessential data is audience measurement that the CNIL exempts
   * from consent; `definePolicy` checks each condition, and the notice says why no consent is asked.
   */
  consentExemption?: 'cnil-audience-measurement' | undefined;
}

/** A policy as written by a user: every defaulted key may be left out. */
export interface PolicyInput {
  /** Short name recorded with every record as `name@version` (letters, digits, `.`, `_`, `-`). */
  name: string;
  /** Version recorded with every record. Default `'1'`. */
  version?: string | undefined;
  /** The categories of data and what each keeps. */
  categories: PolicyCategoriesInput;
  /** The analytics cookie, used when `categories.nonessential.visitor` is `cookie`. */
  cookie?:
    | {
        /** Cookie name. Default `pl_vid`; `__Host-` is added on secure requests. */
        name?: string | undefined;
        /** Lifetime, an ISO 8601 duration. Default `P13M`. */
        maxAge?: string | undefined;
      }
    | undefined;
  /** The cookie that remembers opt-out or consent; it holds the same value for everyone. */
  choices?:
    | {
        /** Cookie name. Default `pl_choice`. */
        cookieName?: string | undefined;
        /** Lifetime, an ISO 8601 duration. Default `P13M`. */
        maxAge?: string | undefined;
        /**
         * What an opt-out does to the records already tied to the visitor id: `erase` removes them
         * at once, `keep` (the default) leaves them until their retention ends.
         */
        onWithdraw?: 'erase' | 'keep' | undefined;
        /**
         * How long the consent ledger keeps each change of choice, an ISO 8601 duration: long
         * enough to show the consent behind every record collected under it. Default `P3Y`.
         */
        ledgerRetention?: string | undefined;
      }
    | undefined;
  /** What the generated notice says beyond the categories: who answers for the log, and why. */
  notice?: NoticeInput | undefined;
  /** Traffic rollups: how long their anonymous buckets are kept and the small-cell threshold. */
  aggregates?:
    | {
        /** How long rollup buckets are kept, an ISO 8601 duration. Default `P5Y`. */
        retention?: string | undefined;
        /** Reports show a figure below `k` only as "fewer than k". Default 10. */
        k?: number | undefined;
      }
    | undefined;
  /** Browser signals treated as an objection (opt-out) to nonessential and optional data. */
  signals?:
    | {
        /** Global Privacy Control. Default true. */
        gpc?: boolean | undefined;
        /** Do Not Track. Default true. */
        dnt?: boolean | undefined;
      }
    | undefined;
}
