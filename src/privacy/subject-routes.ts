import type { Request, Response } from 'express';
import type { DiagnosticLogger } from '../logger.js';
import { report } from '../pipeline/store-call.js';
import type { CompiledPolicy } from '../policy/compile.js';
import type { CookieJar } from '../request/cookie-jar.js';
import { escapeHtml } from './document.js';
import { backTo, isCrossSite, isCrossSiteRead, wantsRedirect } from './http.js';
import type { SubjectsApi } from './subjects.js';

/** What the visitor-facing data routes need from the logger. */
export interface SubjectRouteDeps {
  compiled: CompiledPolicy;
  jar: CookieJar;
  subjects: SubjectsApi;
  logger: DiagnosticLogger;
  clock: () => Date;
}

/** The body of `GET /privacy/my-data`: the visitor's own records, nothing about the stores. */
interface VisitorExport {
  exportedAt: string;
  policy: string;
  /** Records under legal hold: an erasure leaves them until the hold is released. */
  held: number;
  records: { held: boolean; record: unknown }[];
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
    held: 0,
    records: [],
  };
  if (visitorId !== undefined) {
    try {
      const found = await deps.subjects.export({ visitorId });
      body.exportedAt = found.exportedAt;
      body.held = found.held;
      body.records = found.records.map(({ held, record }) => ({ held, record }));
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
  if (deps.compiled.visitor === 'cookie' && state.visitorId !== undefined) {
    try {
      const result = await deps.subjects.erase({ visitorId: state.visitorId });
      erased = result.erased;
      held = result.held;
      complete = result.unsupported.length === 0;
    } catch (err) {
      // The cookie stays, so that the visitor can simply ask again.
      failed(deps, res, err, 'ERR_SUBJECT_ERASE', 'your data could not be erased; try again later');
      return;
    }
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
    res.type('html').send(erasedPage(erased, held, complete, next, backTo(req)));
    return;
  }
  res.json({ ok: true, erased, held, complete, consentWithdrawn });
}

/** Whether this site counts the visitor's next visit with a new id unless the visitor objects. */
function countsNextVisit(compiled: CompiledPolicy, req: Request): boolean {
  return (
    compiled.visitor === 'cookie' &&
    compiled.policy.categories.nonessential?.basis !== 'consent' &&
    req.privacyLog?.decision.analytics === true
  );
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

/** The answer to the erase form: what happened, and the way back. */
function erasedPage(
  erased: number,
  held: number,
  complete: boolean,
  next: 'counted' | 'asked' | undefined,
  back: string,
): string {
  const lines = [
    `${erased} ${erased === 1 ? 'record was' : 'records were'} erased, and the visitor id cookie was removed.`,
  ];
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
  if (!complete) {
    lines.push(
      'Some logs of this site cannot erase single records; the privacy notice says how to ask us to remove what they hold.',
    );
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Your data was erased</title></head>
<body><main><h1>Your data was erased</h1>
${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('\n')}
<p><a href="${escapeHtml(back)}">Back</a></p></main></body></html>
`;
}
