import type { ServerResponse } from 'node:http';
import type OnHeaders from 'on-headers';
import { requireCommonJs } from '../shared/commonjs.js';

const onHeaders = requireCommonJs('on-headers') as typeof OnHeaders;

/**
 * `Set-Cookie` lines held back until a response writes its headers, then added after the app's
 * own, as express-session adds its cookie. The app's cookies stay first and exactly as the app
 * wrote them (an app or client that reads `set-cookie[0]` finds its own), and nothing the app does
 * to its `Set-Cookie` header (`res.set`, `res.writeHead` with headers) removes the library's line.
 *
 * Each response has a few slots, one per cookie name, so that a later decision of the same
 * response (a privacy route revising the middleware's) replaces an earlier line instead of adding
 * one. Only a response that gets a line pays for the hook: a returning visitor's does not.
 */
export class LateCookies {
  readonly #slots: number;
  readonly #pending = new WeakMap<ServerResponse, (string | undefined)[]>();
  /** One listener for every response: `on-headers` calls it with the response as `this`. */
  readonly #write: (this: ServerResponse) => void;

  constructor(slots: number) {
    this.#slots = slots;
    const pending = this.#pending;
    this.#write = function writeLateCookies(this: ServerResponse) {
      const lines = pending.get(this);
      if (lines === undefined) return;
      pending.delete(this);
      appendSetCookie(this, lines);
    };
  }

  /** Send `line` in `slot` of this response, replacing a line put there before. */
  put(res: ServerResponse, slot: number, line: string): void {
    // Once the headers are out, nothing can be added; the response is answered already.
    if (res.headersSent) return;
    let lines = this.#pending.get(res);
    if (lines === undefined) {
      lines = new Array<string | undefined>(this.#slots).fill(undefined);
      this.#pending.set(res, lines);
      onHeaders(res, this.#write);
    }
    lines[slot] = line;
  }

  /** Take back the lines of slots `from` to `to` (excluded) that this response has not sent. */
  clear(res: ServerResponse, from: number, to: number): void {
    const lines = this.#pending.get(res);
    if (lines !== undefined) lines.fill(undefined, from, to);
  }
}

/** Add `lines` after the response's own `Set-Cookie`, whether the app set a string or a list. */
function appendSetCookie(res: ServerResponse, lines: readonly (string | undefined)[]): void {
  let out: string[] | undefined;
  for (const line of lines) {
    if (line === undefined) continue;
    if (out === undefined) {
      const own = res.getHeader('set-cookie');
      // A copy: the app's own array is left as the app made it.
      out = own === undefined ? [] : Array.isArray(own) ? [...own] : [String(own)];
    }
    out.push(line);
  }
  if (out !== undefined) res.setHeader('Set-Cookie', out);
}
