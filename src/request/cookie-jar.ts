import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CompiledPolicy } from '../policy/compile.js';
import { RecentValues } from '../recent-values.js';
import {
  type Choice,
  cookieName,
  decodeCookieValue,
  findCookies,
  newVisitorId,
  serializeCookie,
  signVisitorId,
  verifyVisitorId,
} from './cookies.js';
import type { Decision } from './decide.js';
import { LateCookies } from './late-cookies.js';
import type { SignedIdPool } from './signed-ids.js';

/** What the request's cookies say, as far as this library is concerned. */
export interface CookieState {
  /** A valid, signed visitor id, if the request carried one. */
  visitorId: string | undefined;
  /** Names of analytics cookies present, valid or not (to expire them when they must go). */
  visitorNames: readonly string[];
  choice: Choice | undefined;
  /** Names of choice cookies present that hold a consent (`in`), to end it on erasure. */
  consentNames: readonly string[];
  /**
   * The consent cookie of this request's scheme holds a consent given for less than the current
   * policy asks (a later version added a purpose or a category under consent): it does not count,
   * and the page should ask again.
   */
  consentOutdated: boolean;
}

const NONE: CookieState = Object.freeze({
  visitorId: undefined,
  visitorNames: [],
  choice: undefined,
  consentNames: [],
  consentOutdated: false,
});

/** Slots of a response's late cookies, in the order of the jar's names. */
const VISITOR = 0;
const HOST_VISITOR = 1;
const CHOICE = 2;
const HOST_CHOICE = 3;

/** The names present among a pair (plain, `__Host-`), for each of the four combinations. */
const presence = (plain: string, host: string): readonly (readonly string[])[] =>
  [[], [plain], [host], [plain, host]].map((names) => Object.freeze(names));

/**
 * Signed visitor cookies already verified, by their exact raw value: a returning visitor sends the
 * same value with every request, and a hit costs a map lookup where a check costs an HMAC. Only
 * values that verified are kept, so no one can fill it with forgeries to make one pass.
 */
const VERIFIED_CACHE_SIZE = 10_000;

/** Consent values remembered by {@link CookieJar}; they differ only between policy versions. */
const SCOPE_CACHE_SIZE = 64;

/**
 * Whether the request came over HTTPS, as Express's `req.secure` says (under `trust proxy`). A
 * function, or an object whose `secure` is read only when asked, so that it is computed only when
 * a cookie must be named, and at most once per request: Express works it out anew, with address
 * parsing, on every read.
 */
export type SecureFlag = boolean | (() => boolean) | { readonly secure: boolean };

const isSecure = (flag: SecureFlag): boolean =>
  typeof flag === 'boolean' ? flag : typeof flag === 'function' ? flag() : flag.secure;

/** `req.secure` of one request, read from Express once and only if asked. */
export function secureOnce(req: { secure?: boolean }): () => boolean {
  let secure: boolean | undefined;
  return () => {
    secure ??= req.secure === true;
    return secure;
  };
}

/**
 * Reads and writes the analytics cookie and the choice cookie for one policy. A request whose
 * Cookie header does not mention either name costs two substring searches.
 */
export class CookieJar {
  readonly #compiled: CompiledPolicy;
  readonly #secrets: readonly string[];
  readonly #visitorBase: string;
  readonly #choiceBase: string;
  /** The cookie names looked for, in the order of the slots: visitor, `__Host-` visitor, ... */
  readonly #names: readonly string[];
  /** `visitorNames` of every combination of the two visitor names present, built once. */
  readonly #present: readonly (readonly string[])[];
  /** `consentNames` of every combination of the two choice names holding `in`, built once. */
  readonly #consents: readonly (readonly string[])[];
  /** Raw values of {@link #names} for the request being read; reused, as reading is synchronous. */
  readonly #values: (string | undefined)[] = [];
  readonly #verified = new RecentValues<string, string>(VERIFIED_CACHE_SIZE);
  /** The `Set-Cookie` line that expires each name: one text per name, whatever the request. */
  readonly #expiries: readonly string[];
  readonly #late: LateCookies;
  /**
   * What {@link #readChoice} made of a consent value other than the policy's own, by value: a
   * browser that consented under other tokens (or an earlier version) sends the same value with
   * every request, and so does everyone else who made that choice there.
   */
  readonly #scopes = new RecentValues<string, 'in' | typeof OUTDATED>(SCOPE_CACHE_SIZE);
  /** Ids signed ahead of need (worker mode); without them, or when it runs dry, ids are signed here. */
  #signed: SignedIdPool | undefined;

  constructor(compiled: CompiledPolicy, secrets: readonly string[]) {
    this.#compiled = compiled;
    this.#secrets = secrets;
    this.#visitorBase = compiled.policy.cookie.name;
    this.#choiceBase = compiled.policy.choices.cookieName;
    const visitor = this.#visitorBase;
    const choice = this.#choiceBase;
    this.#names = [visitor, cookieName(visitor, true), choice, cookieName(choice, true)];
    this.#present = presence(visitor, this.#names[HOST_VISITOR]!);
    this.#consents = presence(choice, this.#names[HOST_CHOICE]!);
    // A browser sends a `__Host-` cookie only over a channel it holds secure, and accepts a line
    // for that name only with Secure, Path=/ and no Domain, so its expiry is always Secure, even
    // when Express takes the request for plain HTTP (TLS ended at a proxy it does not trust). The
    // other names were set without Secure: their expiry has none, so that a browser takes it over
    // either scheme, even when Express takes a plain-HTTP request for HTTPS.
    this.#expiries = this.#names.map((name) =>
      serializeCookie({ name, value: '', maxAgeMs: 0, secure: name.startsWith('__Host-') }),
    );
    this.#late = new LateCookies(this.#names.length);
  }

  /**
   * Take new visitor ids from `pool`, signed elsewhere with the first of this jar's secrets, and
   * sign here only when it has none left.
   */
  useSignedIds(pool: SignedIdPool): void {
    this.#signed = pool;
  }

  /**
   * @param secure Defaults to `req.secure`; the middleware passes its request tracker (or
   *   {@link secureOnce} does the same) so that Express computes it once for this and {@link apply}.
   */
  read(
    req: IncomingMessage & { secure?: boolean },
    secure: SecureFlag = () => req.secure === true,
  ): CookieState {
    const header = req.headers.cookie;
    if (header === undefined) return NONE;
    const hasVisitor = header.includes(this.#visitorBase);
    const hasChoice = header.includes(this.#choiceBase);
    if (!hasVisitor && !hasChoice) return NONE;
    const values = this.#values;
    findCookies(header, this.#names, values);
    const https = isSecure(secure);
    let names = this.#present[0]!;
    let visitorId: string | undefined;
    if (hasVisitor) {
      names = this.#present[(values[0] === undefined ? 0 : 1) + (values[1] === undefined ? 0 : 2)]!;
      // Only the name that fits this request's security counts; the other is expired if present.
      // A policy without the analytics cookie only expires it: its id is never used, so the HMAC
      // that would verify it is not paid.
      if (this.#compiled.visitor === 'cookie') visitorId = this.#verify(values[https ? 1 : 0]);
    }
    let choice: Choice | undefined;
    let consentNames = this.#consents[0]!;
    let consentOutdated = false;
    if (hasChoice) {
      const plain = this.#readChoice(values[CHOICE]);
      const host = this.#readChoice(values[HOST_CHOICE]);
      // An objection counts under either name: an opt-out made over plain HTTP still holds over
      // HTTPS, and one planted by a sibling subdomain can only turn analytics off. Consent counts
      // only under the name of this request's scheme: over HTTPS the plain name may be planted.
      const own = https ? host : plain;
      choice = plain === 'out' || host === 'out' ? 'out' : own === 'in' ? 'in' : undefined;
      consentOutdated = choice === undefined && own === OUTDATED;
      consentNames =
        this.#consents[
          (plain === 'in' || plain === OUTDATED ? 1 : 0) +
            (host === 'in' || host === OUTDATED ? 2 : 0)
        ]!;
    }
    // No cookie value (a visitor id among them) outlives the request in the scratch array.
    values.fill(undefined);
    return { visitorId, visitorNames: names, choice, consentNames, consentOutdated };
  }

  /**
   * Make the response's cookies agree with the decision: keep a valid id untouched (no new
   * expiry, ever), issue one where analytics is allowed and none is valid, expire any that must
   * go. The lines are written with the response's headers, after the app's own. Returns the
   * visitor id this request may record.
   */
  apply(
    res: ServerResponse,
    secureFlag: SecureFlag,
    state: CookieState,
    decision: Decision,
  ): string | undefined {
    if (this.#compiled.visitor === 'cookie' && decision.analytics) {
      // A HEAD is no page view (link checkers, monitors, caches revalidating): it gives no one a
      // new visitor id, so it counts no new visitor.
      const head = res.req?.method === 'HEAD';
      if (head && state.visitorNames.length === 0) return undefined;
      const slot = isSecure(secureFlag) ? HOST_VISITOR : VISITOR;
      const name = this.#names[slot]!;
      for (const other of state.visitorNames) if (other !== name) this.#expire(res, other);
      if (state.visitorId !== undefined || head) return state.visitorId;
      const ahead = this.#signed?.take();
      const id = ahead === undefined ? newVisitorId() : ahead[0];
      const value =
        ahead === undefined ? encodeURIComponent(signVisitorId(id, this.#secrets[0]!)) : ahead[1];
      // The browser sends this value back from its next request on: known as verified from the
      // start, it costs that request no HMAC.
      this.#verified.set(value, id);
      this.#late.put(
        res,
        slot,
        serializeCookie({
          name,
          value,
          encoded: true,
          maxAgeMs: this.#compiled.cookieMaxAgeMs,
          secure: slot === HOST_VISITOR,
        }),
      );
      return id;
    }
    // A privacy route may revise an earlier decision of this same response: no id may leave.
    this.#late.clear(res, VISITOR, CHOICE);
    for (const name of state.visitorNames) this.#expire(res, name);
    return undefined;
  }

  /**
   * Remember a choice. The value is the same for everyone who makes it: `out`, or `in` followed by
   * the tokens of what the consent covers under the current policy.
   */
  setChoice(res: ServerResponse, secure: SecureFlag, choice: Choice): void {
    const https = isSecure(secure);
    const slot = https ? HOST_CHOICE : CHOICE;
    this.#late.put(
      res,
      slot,
      serializeCookie({
        name: this.#names[slot]!,
        value: choice === 'in' ? this.#compiled.consentValue : choice,
        maxAgeMs: this.#compiled.choiceMaxAgeMs,
        secure: https,
      }),
    );
  }

  /**
   * End the consent the request carried, without recording an objection: an honoured signal or
   * the app's consent function withdrew it, and the page asks again once they no longer object.
   */
  endConsent(res: ServerResponse, state: CookieState): void {
    for (const name of state.consentNames) this.#expire(res, name);
  }

  /**
   * After an erasure: take back a visitor cookie this response was to issue, expire the visitor
   * cookies the request carried, and end a consent it carried, so that the browser's next
   * request (its icon, say) starts no new trace and an opt-in policy asks again. An opt-out stays:
   * erasing what is kept must not resume tracking. Returns whether a consent was ended.
   */
  forget(res: ServerResponse, state: CookieState): boolean {
    this.#late.clear(res, VISITOR, CHOICE);
    for (const name of state.visitorNames) this.#expire(res, name);
    for (const name of state.consentNames) this.#expire(res, name);
    return state.consentNames.length > 0;
  }

  /**
   * A choice cookie's raw value: `out`; `in` when it carries every token of the current consent
   * scope; {@link OUTDATED} when it is a consent that lacks one (given under an earlier policy
   * version that asked for less); anything else is no choice.
   */
  #readChoice(raw: string | undefined): Choice | typeof OUTDATED | undefined {
    if (raw === undefined) return undefined;
    const value = decodeCookieValue(raw);
    if (value === 'out') return 'out';
    if (value !== 'in' && !value.startsWith('in.')) return undefined;
    if (value === this.#compiled.consentValue) return 'in';
    if (value.length > 512) return undefined;
    const known = this.#scopes.get(value);
    if (known !== undefined) return known;
    const given = new Set(value.split('.').slice(1));
    const answer = this.#compiled.consentScope.every((token) => given.has(token)) ? 'in' : OUTDATED;
    // Anyone may send any value: the memo is bounded.
    this.#scopes.set(value, answer);
    return answer;
  }

  #expire(res: ServerResponse, name: string): void {
    const slot = this.#names.indexOf(name);
    this.#late.put(res, slot, this.#expiries[slot]!);
  }

  /**
   * The id in a signed visitor cookie (its raw, percent-encoded value), or undefined when it does
   * not verify (see verifyVisitorId).
   */
  #verify(raw: string | undefined): string | undefined {
    if (raw === undefined) return undefined;
    const known = this.#verified.get(raw);
    if (known !== undefined) return known;
    const id = verifyVisitorId(decodeCookieValue(raw), this.#secrets);
    if (id !== undefined) this.#verified.set(raw, id);
    return id;
  }
}

/** A consent given for less than the current policy asks. */
const OUTDATED = 'outdated';
