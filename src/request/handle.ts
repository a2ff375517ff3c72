import type { ConsentNote } from '../privacy/consent-ledger.js';
import type { Captured } from './capture.js';
import type { Decision } from './decide.js';

/** The most incident reasons one request records; later ones are not kept. */
const MAX_REASONS = 16;

/**
 * The text of an incident reason. A value whose conversion throws still flags the request: the
 * attack is what matters, and the app's reason object is not.
 */
function reasonText(reason: unknown): string {
  if (typeof reason === 'string') return reason;
  try {
    return String(reason);
  } catch {
    return '(unprintable reason)';
  }
}

export interface HandleContext {
  readonly optionalFields: ReadonlySet<string>;
  readonly optionalMaxLength: number;
  readonly hasSecurity: boolean;
  /** Called once when the app flags an incident but the policy has no security category. */
  readonly onIncidentWithoutCategory: () => void;
}

/**
 * `req.privacyLog`: what the app may do with this request's record. Methods never throw, whatever
 * the app passes, so a form handler cannot be broken by its logger.
 */
export class PrivacyLogHandle {
  readonly #captured: Captured;
  readonly #context: HandleContext;

  constructor(captured: Captured, context: HandleContext) {
    this.#captured = captured;
    this.#context = context;
  }

  /** What this request may record: show it to say "your opt-out is honoured". */
  get decision(): Decision {
    return this.#captured.decision;
  }

  /**
   * Hand over data the visitor deliberately sent. Only string (or number) fields the policy
   * declares in `categories.optional.fields` are kept, and only when the visitor has not objected.
   * Returns the names of the fields kept.
   */
  optional(fields: Readonly<Record<string, unknown>>): string[] {
    const captured = this.#captured;
    if (!captured.decision.categories.includes('optional')) return [];
    if (fields === null || typeof fields !== 'object') return [];
    const kept: string[] = [];
    const { optionalFields, optionalMaxLength } = this.#context;
    let names: string[];
    try {
      names = Object.keys(fields);
    } catch {
      // A proxy or an exotic object that cannot list its keys hands over nothing.
      return kept;
    }
    for (const name of names) {
      if (!optionalFields.has(name)) continue;
      let value: unknown;
      try {
        value = fields[name];
      } catch {
        continue;
      }
      if (typeof value !== 'string' && typeof value !== 'number') continue;
      captured.optional ??= Object.create(null) as Record<string, string>;
      // Cut here already: the queue's byte bound must not be defeated by a huge form field.
      captured.optional[name] = String(value).slice(0, optionalMaxLength);
      kept.push(name);
    }
    return kept;
  }

  /** Mark this request as part of an attack: its record is kept in full, as security evidence. */
  flagIncident(reason: string): void {
    try {
      if (!this.#context.hasSecurity) {
        this.#context.onIncidentWithoutCategory();
        return;
      }
      this.#captured.incidents ??= [];
      const reasons = this.#captured.incidents;
      if (reasons.length < MAX_REASONS) reasons.push(reasonText(reason).slice(0, 200));
    } catch {
      // Documented as never throwing: the app calls it from its own error paths.
    }
  }

  /**
   * Note a change of the visitor's choice made by this request, for the consent ledger.
   *
   * @internal the library's own routes call it.
   */
  noteConsent(note: ConsentNote): void {
    this.#captured.consent = note;
  }

  /**
   * Replace the decision after a privacy route changed the visitor's choice mid-request.
   *
   * @internal the library's own routes call it; an app changes a choice through those routes.
   */
  revise(decision: Decision, visitorId: string | undefined): void {
    this.#captured.decision = decision;
    this.#captured.visitorId = decision.analytics ? visitorId : undefined;
    if (!decision.analytics) this.#captured.referer = undefined;
    if (!decision.categories.includes('optional')) this.#captured.optional = undefined;
  }
}
