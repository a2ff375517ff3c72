import type { Request, Response } from 'express';
import type { DiagnosticLogger } from '../../logger.js';
import type { CompiledPolicy } from '../../policy/compile.js';
import type { CookieJar } from '../../request/cookie-jar.js';
import { report } from '../../shared/store-call.js';
import type { ConsentEvent } from '../../stores/consent-events.js';
import { escapeHtml } from '../notice/document.js';
import type { SubjectsApi, UnavailableStore } from '../subjects.js';
import { backTo, isCrossSite, isCrossSiteRead, wantsRedirect } from './request-origin.js';

/** What the visitor-facing data routes need from the logger. */
export interface SubjectRouteDeps {
  compiled: CompiledPolicy;
  jar: CookieJar;
  subjects: SubjectsApi;
  logger: DiagnosticLogger;
  clock: () => Date;
  /** Longest wait in ms for the stores; a store not done by then is named as unavailable. */
  timeoutMs: number;
}

/**
 * The body of `GET /privacy/my-data`: the visitor's own records; of the stores, only the names of
 * those that could not be reached, so that the visitor knows the export is short of them.
 */
interface VisitorExport {
  exportedAt: string;
  policy: string;
  /**
   * The visitor's records, without security records and without hold flags: the controller may
   * restrict access while an investigation runs (GDPR Art. 23), and showing either would tip off
   * the person investigated. The operator's export shows everything.
   */
  records: { record: unknown }[];
  /** Each change of choice made by this browser (the consent ledger), oldest first. */
  consents: ConsentEvent[];
  /** Stores that could not be reached in time: the export lacks what they keep. */
  unavailable: string[];
}

/**
 * `GET {prefix}/my-data`: every record tied to the visitor id in the request's signed cookie, as a
 * JSON download. The id comes only from a cookie whose signature verifies, so a visitor without
 * one (or with a forged one) gets an empty export, never someone else's records.
 */
export async function myData(deps: SubjectRouteDeps, req: Request, res: Response): Promise<void> {
  res.setHeader('Cache-Control', 'no-store');
  if (isCrossSiteRead(req)) {
    res.status(403).json({ error: 'personal data is not served to other sites' });
    return;
  }
  const visitorId = deps.compiled.visitor === 'cookie' ? deps.jar.read(req).visitorId : undefined;
  const body: VisitorExport = {
    exportedAt: deps.clock().toISOString(),
    policy: deps.compiled.id,
    records: [],
    consents: [],
    unavailable: [],
  };
  if (visitorId !== undefined) {
    try {
      const found = await deps.subjects.export({ visitorId }, { timeoutMs: deps.timeoutMs });
      body.exportedAt = found.exportedAt;
      body.records = found.records
        .filter(({ record }) => record.security === undefined)
        .map(({ record }) => ({ record }));
      body.consents = found.consents;
      body.unavailable = unreachable(deps, found.unavailable, 'exported');
    } catch (err) {
      failed(
        deps,
        res,
        err,
        'ERR_SUBJECT_EXPORT',
        'your data could not be exported; try again later',
      );
      return;
    }
  }
  res.setHeader('Content-Disposition', 'attachment; filename="my-data.json"');
  res.type('application/json').send(`${JSON.stringify(body, null, 2)}\n`);
}

/**
 * `POST {prefix}/erase`: erase every record tied to the visitor id, in every store that can, and
 * expire the cookie that carried it. This request's own record is kept without the id, so that the
 * erasure does not leave a fresh trace of it. Records under legal hold stay and are counted.
 */
export async function eraseMyData(
  deps: SubjectRouteDeps,
  req: Request,
  res: Response,
): Promise<void> {
  if (isCrossSite(req)) {
    res.status(403).json({ error: 'cross-site requests cannot erase data' });
    return;
  }
  res.setHeader('Cache-Control', 'no-store');
  const state = deps.jar.read(req);
  const handle = req.privacyLog;
  if (handle) handle.revise(handle.decision, undefined);
  let erased = 0;
  let held = 0;
  let complete = true;
  let unavailable: string[] = [];
  const security = deps.compiled.policy.categories.security !== undefined;
  if (deps.compiled.visitor === 'cookie' && state.visitorId !== undefined) {
    try {
      const result = await deps.subjects.erase(
        { visitorId: state.visitorId },
        { timeoutMs: deps.timeoutMs },
      );
      erased = result.erased;
      // Never the count of security evidence: it would tell the person investigated that they are.
      held = result.visibleHeld;
      complete = result.unsupported.length === 0;
      unavailable = unreachable(deps, result.unavailable, 'erased');
    } catch (err) {
      // The cookie stays, so that the visitor can simply ask again.
      failed(deps, res, err, 'ERR_SUBJECT_ERASE', 'your data could not be erased; try again later');
      return;
    }
  }
  if (unavailable.length > 0) {
    // Partly done: the cookie stays, so that the visitor can ask again once the store is back.
    res.status(503).setHeader('Retry-After', '60');
    if (wantsRedirect(req)) {
      res
        .type('html')
        .send(erasedPage({ erased, held, complete, unavailable, security }, backTo(req)));
    } else {
      res.json({ ok: false, erased, held, complete: false, unavailable });
    }
    return;
  }
  // No visitor cookie for this very request, and the consent ends too: otherwise the browser's
  // next request (its icon) would start a new trace at once.
  const consentWithdrawn = deps.jar.forget(res, state);
  if (wantsRedirect(req)) {
    const next = countsNextVisit(deps.compiled, req)
      ? 'counted'
      : consentWithdrawn
        ? 'asked'
        : undefined;
    res
      .type('html')
      .send(erasedPage({ erased, held, complete, unavailable, next, security }, backTo(req)));
    return;
  }
  res.json({ ok: true, erased, held, complete, unavailable, consentWithdrawn });
}

/** Whether this site counts the visitor's next visit with a new id unless the visitor objects. */
function countsNextVisit(compiled: CompiledPolicy, req: Request): boolean {
  return (
    compiled.visitor === 'cookie' &&
    compiled.policy.categories.nonessential?.basis !== 'consent' &&
    req.privacyLog?.decision.analytics === true
  );
}

/**
 * The names of the stores that could not be reached, for the visitor; the reasons (which may name
 * hosts) go to the diagnostic log only.
 */
function unreachable(
  deps: SubjectRouteDeps,
  stores: readonly UnavailableStore[],
  action: 'exported' | 'erased',
): string[] {
  if (stores.length === 0) return [];
  report(
    deps.logger,
    'warn',
    { code: 'ERR_SUBJECT_STORE_UNAVAILABLE', stores },
    `a visitor's data could not be ${action} in every store; the answer names the missing ones`,
  );
  return stores.map((entry) => entry.store);
}

function failed(
  deps: SubjectRouteDeps,
  res: Response,
  err: unknown,
  code: string,
  message: string,
): void {
  report(deps.logger, 'error', { err, code }, message);
  if (!res.headersSent) res.status(500).json({ error: message });
}

/** What an erasure did, as the visitor is told. */
interface ErasedSummary {
  erased: number;
  held: number;
  complete: boolean;
  /** Stores that could not be reached; when there are any, the cookie was kept. */
  unavailable: readonly string[];
  /** What happens on the next visit: a new id (opt-out sites), or consent is asked again. */
  next?: 'counted' | 'asked' | undefined;
  /** The policy keeps security records: every visitor reads the same general sentence on them. */
  security?: boolean;
}

/** The answer to the erase form: what happened, and the way back. */
function erasedPage(
  { erased, held, complete, unavailable, next, security }: ErasedSummary,
  back: string,
): string {
  const partly = unavailable.length > 0;
  const count = `${erased} ${erased === 1 ? 'record was' : 'records were'} erased`;
  const lines = [partly ? `${count}.` : `${count}, and the visitor id cookie was removed.`];
  if (partly) {
    lines.push(
      `Some logs of this site could not be reached: ${unavailable.join(', ')}. Your visitor id cookie was kept so that you can ask again; please try again in a few minutes.`,
    );
  }
  if (next === 'asked') {
    lines.push('Your consent to analytics was withdrawn too: we ask again before counting visits.');
  } else if (next === 'counted') {
    lines.push(
      'This site counts visits unless you opt out: your next visit gets a new visitor id.',
    );
  }
  if (held > 0) {
    lines.push(
      `${held} ${held === 1 ? 'record is' : 'records are'} kept under a legal hold and will be erased when the hold is released.`,
    );
  }
  if (security === true) {
    lines.push(
      'Records of requests that look like an attack on this site may be kept for its investigation, as the privacy notice explains, even after an erasure.',
    );
  }
  if (!complete) {
    lines.push(
      'Some logs of this site cannot delete single records: they keep what they hold until the operator of this site rotates or deletes them (see "How long it is kept" in the privacy notice), but what you asked us to erase is never shown or exported again.',
    );
  }
  const title = partly ? 'Your data was partly erased' : 'Your data was erased';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>
<body><main><h1>${title}</h1>
${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('\n')}
<p><a href="${escapeHtml(back)}">Back</a></p></main></body></html>
`;
}
