import { CLOSE_LOOK_COST, type RedactionBudget, redactionBudget } from './budget.js';
import { redactText } from './identifiers.js';
import { type PathRedaction, pathInputLimit, redactUrlPath, SECRET_PARAM } from './path.js';
import { cleanText } from './text.js';

// `scheme://` at the start: an absolute-form request target (`GET http://evil.example/x`).
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * The path of a request, without what may not be kept: the query string except allow-listed
 * parameters, the fragment, secret path parameters and, as asked, identifying segments.
 *
 * - Input is Express's `req.originalUrl`: origin form (`/a/b?x=1`), absolute form
 *   (`http://evil.example/x?y`, where only `/x` is kept, never the host or credentials), or garbage
 *   (`*`, `''`, `//double`, which are kept as text and cleaned).
 * - The path keeps its percent-encoding as received and goes through {@link redactUrlPath} with
 *   `segments` (default `keep`): secret path parameters (`;jsessionid=…`) and, unless `keep`,
 *   identifying segments and parts of segments are replaced. A path too long to look at whole is
 *   cut after a whole segment, ends in `…`, and keeps no query.
 * - The query keeps only parameters named in `allow` (exact, case-sensitive), in their original
 *   order, minus any whose name matches {@link SECRET_PARAM}; values go through the same
 *   redaction as path segments ({@link redactValue}). Kept parameters are re-encoded by
 *   `URLSearchParams` (a space becomes `+`). When none is kept, the `?` goes too.
 * - The fragment is never kept (browsers do not send it; a hand-made request can).
 * - The result goes through {@link cleanText}: control characters escaped, at most `maxLength`
 *   characters, ending in `…` when cut.
 *
 * Never throws. The time is linear in the length of `url` and bounded by `maxLength` for the
 * redaction itself.
 *
 * @param allow Query parameter names that may be kept.
 * @param maxLength Maximum length of the result in UTF-16 code units. Default: 2048.
 * @param segments How identifying path segments are replaced. Default: `keep`.
 */
export function minimizePath(
  url: string,
  allow: ReadonlySet<string>,
  maxLength = 2048,
  segments: PathRedaction = 'keep',
): string {
  if (typeof url !== 'string') return '';
  let end = url.length;
  const hash = url.indexOf('#');
  if (hash !== -1) end = hash;
  const question = url.indexOf('?');
  const queryStart = question !== -1 && question < end ? question : -1;
  let path = url.slice(0, queryStart === -1 ? end : queryStart);

  if (ABSOLUTE.test(path)) {
    const authority = path.indexOf('//') + 2;
    const slash = path.indexOf('/', authority);
    path = slash === -1 ? '/' : path.slice(slash);
  }
  const budget = redactionBudget(maxLength);
  path = redactUrlPath(path, segments, maxLength, budget);

  let query = '';
  if (!budget.cut && queryStart !== -1 && allow.size > 0) {
    query = keepAllowed(url.slice(queryStart + 1, end), allow, pathInputLimit(maxLength), budget);
  }
  return cleanText(query === '' ? path : `${path}?${query}`, maxLength);
}

/**
 * The allowed parameters of `query`, values redacted. Only the first `limit` characters are
 * looked at, cut after the last whole parameter; each parameter costs a segment of `budget`, and
 * each allowed one a close look: those past the budget are not kept.
 */
function keepAllowed(
  query: string,
  allow: ReadonlySet<string>,
  limit: number,
  budget: RedactionBudget,
): string {
  const text = query.length > limit ? query.slice(0, query.lastIndexOf('&', limit) + 1) : query;
  const kept = new URLSearchParams();
  for (const [name, value] of new URLSearchParams(text)) {
    if (--budget.segments < 0 || budget.closeLooks < 0) break;
    if (allow.has(name) && !SECRET_PARAM.test(name)) {
      budget.closeLooks -= CLOSE_LOOK_COST + value.length;
      if (budget.closeLooks < 0) break;
      kept.append(name, redactText(value, budget));
    }
  }
  return kept.toString();
}
