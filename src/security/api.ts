import { createPublicKey, type KeyObject, randomUUID } from 'node:crypto';
import type { HoldPlacement, HoldsApi } from '../privacy/holds.js';
import type { StoreSet } from '../privacy/store-set.js';
import type { AccessRecord } from '../record.js';
import type { Disclosure, HoldScope, Store } from '../stores/store.js';
import { EvidenceError } from './evidence-error.js';
import type { EvidenceExportOptions, EvidenceExportResult } from './export.js';
import { type VerifyReport, verifyChains } from './verify.js';

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
  /**
   * Walk the hash chains of the security records in every store that can read, and check each
   * checkpoint's signature with `publicKey` (default: the public half of the signing key given in
   * the options). `ok` only when every store verifies.
   */
  verify(options?: { publicKey?: KeyObject | string }): Promise<{
    ok: boolean;
    stores: ({ store: string } & VerifyReport)[];
  }>;
  /**
   * Export the evidence of an incident (a reason code or a hold id) as a bundle in a new or empty
   * directory, and enter the export in the disclosure register of the store it came from (the
   * first store that reads and keeps a register, or the one named `store`). The checkpoints are
   * checked, and a chain's newest records signed, with the signing key given in the options.
   */
  exportEvidence(
    options: Omit<EvidenceExportOptions, 'signingKey'> & { store?: string },
  ): Promise<EvidenceExportResult>;
  /** The disclosure register of every store that keeps one, oldest entry first per store. */
  disclosures(): Promise<{ store: string; entries: Disclosure[] }[]>;
}

/** Every record a store keeps, oldest first. */
export async function readAll(store: Store): Promise<AccessRecord[]> {
  const out: AccessRecord[] = [];
  if (typeof store.read !== 'function') return out;
  for await (const record of store.read({})) out.push(record);
  return out;
}

/** The security API over the logger's holds; `retention` is the security category's, as ISO 8601. */
export function createSecurityApi(
  holds: HoldsApi,
  set: StoreSet,
  retention: string | undefined,
  signingKey: KeyObject | string | undefined,
  flush: () => Promise<void>,
): SecurityApi {
  return {
    async verify(options = {}) {
      const publicKey =
        options.publicKey ?? (signingKey === undefined ? undefined : createPublicKey(signingKey));
      await flush();
      const stores: ({ store: string } & VerifyReport)[] = [];
      for (const entry of set.with('read')) {
        const records = await set.use(entry, readAll);
        stores.push({ store: entry.name, ...verifyChains(records, publicKey) });
      }
      return { ok: stores.every((s) => s.ok), stores };
    },
    async exportEvidence(options) {
      const { store: name, ...rest } = options;
      const entry = set
        .with('read', 'disclose')
        .find((candidate) => name === undefined || candidate.name === name);
      if (entry === undefined)
        throw new EvidenceError(
          name === undefined
            ? 'no store of this logger reads records and keeps a disclosure register'
            : `no store named ${name} reads records and keeps a disclosure register`,
        );
      await flush();
      // Loaded when first needed: an app that never exports does not load the bundle code.
      const { exportEvidence } = await import('./export.js');
      return set.use(entry, (store) =>
        exportEvidence(store, {
          ...rest,
          ...(signingKey === undefined ? {} : { signingKey }),
        }),
      );
    },
    async disclosures() {
      const out: { store: string; entries: Disclosure[] }[] = [];
      for (const entry of set.with('disclosures'))
        out.push({ store: entry.name, entries: await set.use(entry, (s) => s.disclosures!()) });
      return out;
    },
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
