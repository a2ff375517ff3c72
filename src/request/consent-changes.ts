import type { ServerResponse } from 'node:http';
import type { CompiledPolicy } from '../policy/compile.js';
import type { ConsentNote, NoticeInForce } from '../privacy/consent-ledger.js';
import type { CookieJar, CookieState, SecureFlag } from './cookie-jar.js';
import type { Decision } from './decide.js';

/**
 * A change of choice that a request makes without the privacy routes, noted for the consent
 * ledger, and made to stick so that it is noted once:
 * - an honoured GPC or DNT signal, or the app's consent function saying no, overrides the consent
 *   cookie: the consent is ended (its cookie expired);
 * - the app's consent function says yes where the browser holds no consent: the consent cookie
 *   is set, so that the next request finds it given.
 * Only a policy with something under consent has a consent to change. Returns the note, to be
 * completed with the visitor id once the response's cookies are settled.
 */
export function consentChange(
  compiled: CompiledPolicy,
  jar: CookieJar,
  res: ServerResponse,
  secure: SecureFlag,
  cookies: CookieState,
  decision: Decision,
  app: boolean | undefined,
  notice: NoticeInForce,
): ConsentNote | undefined {
  if (compiled.consentScope.length === 0) return undefined;
  if (cookies.choice === 'in' && decision.objection) {
    jar.endConsent(res, cookies);
    const signal =
      compiled.honourGpc && decision.gpc
        ? 'gpc'
        : compiled.honourDnt && decision.dnt
          ? 'dnt'
          : undefined;
    return {
      choice: 'out',
      previous: 'in',
      source: signal === undefined ? 'app' : 'signal',
      signal,
      visitorId: cookies.visitorId,
      notice: notice.hash,
    };
  }
  if (app === true && decision.consent && cookies.choice !== 'in') {
    jar.setChoice(res, secure, 'in');
    return { choice: 'in', previous: cookies.choice, source: 'app', notice: notice.hash };
  }
  return undefined;
}
