import type { CompiledPolicy } from '../policy/compile.js';
import type { Category, ConsentBasis } from '../record.js';
import type { Choice } from './cookies.js';

/** What one request may record, decided before any store sees it (S4) and shown to the page (S5). */
export interface Decision {
  /** `name@version` of the policy that decided. */
  readonly policy: string;
  /** Whether nonessential data (referrer, visitor id, analytics cookie) may be recorded. */
  readonly analytics: boolean;
  readonly basis: ConsentBasis;
  /** The request carried `Sec-GPC: 1`. */
  readonly gpc: boolean;
  /** The request carried `DNT: 1`. */
  readonly dnt: boolean;
  /** The visitor objected: an honoured GPC or DNT signal, the opt-out marker, or the app said no. */
  readonly objection: boolean;
  /** The visitor's remembered choice, if any. */
  readonly choice: Choice | undefined;
  /** The categories this request's record may hold. */
  readonly categories: readonly Category[];
  /** Lookups beyond what the essential category needs (GeoIP, domain, company) are allowed (S2). */
  readonly enrich: boolean;
}

export interface Signals {
  gpc: boolean;
  dnt: boolean;
  choice: Choice | undefined;
  /** The app's consent function: true (consent), false (objection) or undefined (no opinion). */
  app: boolean | undefined;
}

function computeDecision(compiled: CompiledPolicy, s: Signals): Decision {
  const { categories } = compiled.policy;
  const objection =
    (compiled.honourGpc && s.gpc) ||
    (compiled.honourDnt && s.dnt) ||
    s.choice === 'out' ||
    s.app === false;
  let analytics = false;
  let basis: ConsentBasis = 'none';
  if (compiled.mode !== 'none' && !objection) {
    if (compiled.mode === 'opt-out') {
      analytics = true;
      basis = 'opt-out';
    } else if (s.choice === 'in' || s.app === true) {
      analytics = true;
      basis = 'consent';
    }
  }
  const allowed: Category[] = [];
  if (categories.client) allowed.push('client');
  allowed.push('essential');
  if (analytics) allowed.push('nonessential');
  if (categories.optional && !objection) allowed.push('optional');
  if (categories.security) allowed.push('security');
  return Object.freeze({
    policy: compiled.id,
    analytics,
    basis,
    gpc: s.gpc,
    dnt: s.dnt,
    objection,
    choice: s.choice,
    categories: Object.freeze(allowed),
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
