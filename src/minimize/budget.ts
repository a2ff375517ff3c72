/**
 * The work that redacting one path, query or value may cost.
 *
 * Every pass of the redaction is linear, but linear is not enough: a path can be written so that
 * nearly every character starts a segment, a candidate or a replacement, each costing more than
 * an ordinary character does. The budget caps those counts per path, so hostile input costs about
 * what ordinary input of the same length costs. What runs out of budget is judged the safe way:
 * an e-mail candidate past `checks` counts as what it looks like (and is redacted), and a path past
 * `segments` or `closeLooks` is cut there (`…`), never kept unredacted.
 */
export interface RedactionBudget {
  /** Costly checks left: public-suffix lookups. */
  checks: number;
  /** Path segments that may still be looked at. */
  segments: number;
  /**
   * What may still be spent on close looks: a segment or value run through the passes or replaced
   * costs its length plus {@link CLOSE_LOOK_COST}, decoding one a quarter of its length plus
   * {@link CLOSE_LOOK_COST}; a look that costs more than is left is not taken.
   */
  closeLooks: number;
  /** Set when a path or query was cut because it would have cost more, or was too long. */
  cut: boolean;
}

/** What a close look costs beyond the characters it looks at. */
export const CLOSE_LOOK_COST = 8;

/**
 * The budget of one path and its query, for a result of at most `maxLength` characters: 4 costly
 * checks, `maxLength / 4` segments and `maxLength / 2` for close looks (512 and 1024 by default).
 * An ordinary path reaches `maxLength` long before either, since its segments are longer than
 * four characters and few need a close look; a path cut for want of budget is one with hundreds
 * of tiny segments, or with most of a kilobyte of identifiers.
 */
export function redactionBudget(maxLength = 2048): RedactionBudget {
  const max = Math.max(32, Math.floor(maxLength) || 0);
  return { checks: 4, segments: Math.ceil(max / 4), closeLooks: Math.ceil(max / 2), cut: false };
}
