import type { CompiledPolicy } from '../policy/compile.js';
import type { LegalBasis } from '../policy/schema.js';
import type { Category, ConsentBasis } from '../record.js';
import type { Choice } from './cookies.js';

/**
 * Why a category is in or out of this request's record:
 * - `consent`: its basis is consent and the visitor gave it (opt-in cookie or the app's `true`);
 * - `no-consent`: its basis is consent and there is none (or an objection overrides it);
 * - `no-objection`: its basis is legitimate interests and the visitor has not objected;
 * - `objection`: its basis is legitimate interests and the visitor objected (GPC, DNT where
 *   honoured, the opt-out marker, or the app's `false`);
 * - `overriding-grounds`: the essential record and security records are kept despite an
 *   objection, because without them the site could not deliver or secure the page (GDPR
 *   Art. 21(1) lets a controller show compelling grounds); the objection still removes everything
 *   else;
 * - `basis`: a basis that does not depend on the visitor's choice (contract, legal obligation,
 *   vital interests, public task).
 */
export type AdmissionReason =
  | 'consent'
  | 'no-consent'
  | 'no-objection'
  | 'objection'
  | 'overriding-grounds'
  | 'basis';

/** One declared category in a decision: its basis, whether it is recorded, and why. */
export interface CategoryDecision {
  readonly category: Category;
  readonly basis: LegalBasis;
  readonly recorded: boolean;
  readonly reason: AdmissionReason;
}

/** What one request may record, decided before any store sees it and shown to the page. */
export interface Decision {
  /** `name@version` of the policy that decided. */
  readonly policy: string;
  /** Whether nonessential data (referrer, visitor id, analytics cookie) may be recorded. */
  readonly analytics: boolean;
  /**
   * `consent` when the visitor's consent let in a category under consent, `opt-out` when
   * nonessential data is recorded on legitimate interests, `none` otherwise.
   */
  readonly basis: ConsentBasis;
  /** The request carried `Sec-GPC: 1`. */
  readonly gpc: boolean;
  /** The request carried `DNT: 1`. */
  readonly dnt: boolean;
  /** The visitor objected: an honoured GPC or DNT signal, the opt-out marker, or the app said no. */
  readonly objection: boolean;
  /** The visitor consented (opt-in marker or the app said yes) and did not object. */
  readonly consent: boolean;
  /** The visitor's remembered choice, if any. */
  readonly choice: Choice | undefined;
  /** The categories this request's record may hold. */
  readonly categories: readonly Category[];
  /** Every declared category with the basis that let it in, or why it was left out. */
  readonly bases: readonly CategoryDecision[];
  /** Lookups beyond what the essential category needs (GeoIP, domain, company) are allowed. */
  readonly enrich: boolean;
}

export interface Signals {
  gpc: boolean;
  dnt: boolean;
  choice: Choice | undefined;
  /** The app's consent function: true (consent), false (objection) or undefined (no opinion). */
  app: boolean | undefined;
}

/** The order of `Decision.categories`, kept from before bases gated every category. */
const ORDER = ['client', 'essential', 'nonessential', 'optional', 'security'] as const;

/** Categories a request cannot go without: an objection does not remove them. */
const NEEDED: ReadonlySet<Category> = new Set(['essential', 'security']);

function admit(
  category: Category,
  basis: LegalBasis,
  consent: boolean,
  objection: boolean,
): CategoryDecision {
  let reason: AdmissionReason;
  if (basis === 'consent') reason = consent ? 'consent' : 'no-consent';
  else if (basis === 'legitimate-interests') {
    reason = !objection
      ? 'no-objection'
      : NEEDED.has(category)
        ? 'overriding-grounds'
        : 'objection';
  } else reason = 'basis';
  const recorded = reason !== 'no-consent' && reason !== 'objection';
  return Object.freeze({ category, basis, recorded, reason });
}

function computeDecision(compiled: CompiledPolicy, s: Signals): Decision {
  const { categories } = compiled.policy;
  const objection =
    (compiled.honourGpc && s.gpc) ||
    (compiled.honourDnt && s.dnt) ||
    s.choice === 'out' ||
    s.app === false;
  // An honoured objection overrides an earlier consent: withdrawing must be as easy as giving.
  const consent = !objection && (s.choice === 'in' || s.app === true);
  const bases: CategoryDecision[] = [];
  const allowed: Category[] = [];
  for (const name of ORDER) {
    const category = categories[name];
    if (!category) continue;
    const entry = admit(name, category.basis, consent, objection);
    bases.push(entry);
    if (entry.recorded) allowed.push(name);
  }
  const analytics = allowed.includes('nonessential');
  const byConsent = bases.some((b) => b.recorded && b.reason === 'consent');
  const basis: ConsentBasis = byConsent ? 'consent' : analytics ? 'opt-out' : 'none';
  return Object.freeze({
    policy: compiled.id,
    analytics,
    basis,
    gpc: s.gpc,
    dnt: s.dnt,
    objection,
    consent,
    choice: s.choice,
    categories: Object.freeze(allowed),
    bases: Object.freeze(bases),
    enrich: !objection,
  });
}

/**
 * Decisions for one policy. There are only 36 combinations of signals, so each is computed once
 * and shared, frozen, by every request that carries it.
 */
export class Decider {
  readonly #compiled: CompiledPolicy;
  /** By the key of {@link decide}: an array read, where a map would hash the key first. */
  readonly #cache: (Decision | undefined)[] = new Array(64).fill(undefined);

  constructor(compiled: CompiledPolicy) {
    this.#compiled = compiled;
  }

  decide(s: Signals): Decision {
    const key =
      (s.gpc ? 1 : 0) |
      (s.dnt ? 2 : 0) |
      (s.choice === 'in' ? 4 : s.choice === 'out' ? 8 : 0) |
      (s.app === true ? 16 : s.app === false ? 32 : 0);
    let decision = this.#cache[key];
    if (decision === undefined) {
      decision = computeDecision(this.#compiled, s);
      this.#cache[key] = decision;
    }
    return decision;
  }
}
