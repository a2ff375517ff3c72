import { randomUUID } from 'node:crypto';
import type { HoldPlacement, HoldsApi } from '../privacy/holds.js';
import type { HoldScope } from '../stores/store.js';

/** Holds placed by {@link SecurityApi.flag} carry ids with this prefix and reasons with `security: `. */
export const SECURITY_HOLD_PREFIX = 'security-';

/** `logger.security`: security investigations over records already stored. */
export interface SecurityApi {
  /**
   * Flag records already stored (an intrusion-detection alert an hour later, say): hold every
   * record in `scope` so that neither retention nor the visitor's own erasure removes it, until
   * the hold is reviewed (by default after the security category's retention) and released.
   * What minimisation removed before the records were stored (the full address, the query, the
   * raw User-Agent) cannot come back: only requests flagged while they were processed carry it.
   */
  flag(
    scope: HoldScope,
    reason: string,
    options?: { reviewAt?: Date | string },
  ): Promise<HoldPlacement>;
}

/** The security API over the logger's holds; `retention` is the security category's, as ISO 8601. */
export function createSecurityApi(holds: HoldsApi, retention: string | undefined): SecurityApi {
  return {
    flag(scope, reason, options = {}) {
      const text = typeof reason === 'string' && reason.trim() !== '' ? reason.trim() : 'flagged';
      return holds.add({
        id: `${SECURITY_HOLD_PREFIX}${randomUUID()}`,
        reason: `security: ${text.slice(0, 200)}`,
        scope,
        reviewAt: options.reviewAt ?? (retention && retention !== 'forever' ? retention : 'P1Y'),
      });
    },
  };
}
