import { report } from '../../logger.js';
import type { SubjectRouteDeps } from './subject-routes.js';

/**
 * What an opt-out did to the records already tied to the visitor id, told to the visitor:
 * - `erased`: they were erased (the policy's `choices.onWithdraw` is `erase`, or `erase=1`);
 * - `kept`: they stay until their retention ends; asking again with `erase=1` erases them;
 * - `none`: there was no visitor id, so no record is tied to this browser;
 * - `failed`: the erasure could not be carried out now (a store failed or was late).
 */
export interface Withdrawal {
  action: 'erased' | 'kept' | 'none' | 'failed';
  /** Records erased, and records kept under a legal hold (with `erased`). */
  erased?: number;
  held?: number;
  /** False when a store that keeps records cannot erase them (an append-only log). */
  complete?: boolean;
  /** Stores that did not answer in time: their records are still there. */
  unavailable?: string[];
  message: string;
}

/**
 * Carry out what withdrawing consent (or objecting) does to the data collected before, with the
 * subject-rights API, before the visitor cookie, the only key to that data, is expired.
 */
export async function withdraw(
  deps: SubjectRouteDeps | undefined,
  visitorId: string | undefined,
  erase: boolean,
): Promise<Withdrawal> {
  if (visitorId === undefined || deps === undefined) {
    return { action: 'none', message: 'No record is tied to this browser by a visitor id.' };
  }
  if (!erase) {
    return {
      action: 'kept',
      message:
        'Nothing more is recorded about this browser. Records made before stay until their retention ends; to erase them now, opt out again with erase=1 or use the erase button before this cookie expires.',
    };
  }
  try {
    const result = await deps.subjects.erase({ visitorId }, { timeoutMs: deps.timeoutMs });
    const unavailable = result.unavailable.map((u) => u.store);
    const complete = result.unsupported.length === 0 && unavailable.length === 0;
    return {
      action: unavailable.length === 0 ? 'erased' : 'failed',
      erased: result.erased,
      held: result.held,
      complete,
      unavailable,
      message: complete
        ? `Nothing more is recorded about this browser, and the ${result.erased} records tied to it were erased${result.held > 0 ? ` (${result.held} kept under a legal hold)` : ''}.`
        : 'Nothing more is recorded about this browser, but some records tied to it could not be erased everywhere; write to the contact in the privacy notice.',
    };
  } catch (err) {
    report(
      deps.logger,
      'error',
      { code: 'ERR_SUBJECT_ERASE', err: err instanceof Error ? err.message : String(err) },
      'erasure on withdrawal failed',
    );
    return {
      action: 'failed',
      message:
        'Nothing more is recorded about this browser, but the records tied to it could not be erased now; write to the contact in the privacy notice.',
    };
  }
}
