/**
 * The cookie store of one browser for one host, as RFC 6265bis describes it: how a
 * `Set-Cookie` line is parsed (section 5.6), which lines are stored, replaced or ignored (5.7,
 * including the `__Host-` and `__Secure-` prefixes and "leave secure cookies alone"), and which
 * cookies go back in a `Cookie` header over a secure or an insecure channel (5.8.3). Only what a
 * host-only site at path `/` needs; tests read the library's `Set-Cookie` lines through it to ask
 * what a browser would actually keep.
 */

interface StoredCookie {
  name: string;
  value: string;
  /** No Domain attribute: sent to this host only. */
  hostOnly: boolean;
  path: string;
  secure: boolean;
}

/** What happened to a `Set-Cookie` line. */
export type Outcome = 'stored' | 'removed' | 'ignored';

const HOST = 'shop.example';
const EXPIRED = Number.NEGATIVE_INFINITY;

/** Cookie identity (5.7): name, domain and path. */
const keyOf = (c: { name: string; hostOnly: boolean; path: string }) =>
  `${c.name}\u0000${c.hostOnly ? HOST : `.${HOST}`}\u0000${c.path}`;

export class BrowserCookies {
  readonly #cookies = new Map<string, StoredCookie>();

  /** Receive one `Set-Cookie` line over a channel the browser treats as secure, or not. */
  receive(line: string, secureChannel: boolean): Outcome {
    const [pair = '', ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq === -1) return 'ignored';
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (name === '') return 'ignored';
    let expiry: number | undefined;
    let maxAge: number | undefined;
    let domain: string | undefined;
    let path: string | undefined;
    let secure = false;
    for (const attribute of attributes) {
      const at = attribute.indexOf('=');
      const key = (at === -1 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
      const val = at === -1 ? '' : attribute.slice(at + 1).trim();
      if (key === 'max-age' && /^-?\d+$/.test(val)) {
        const seconds = Number(val);
        maxAge = seconds <= 0 ? EXPIRED : Date.now() + seconds * 1000;
      } else if (key === 'expires') {
        const time = Date.parse(val);
        if (!Number.isNaN(time)) expiry = time;
      } else if (key === 'domain') {
        domain = val.replace(/^\./, '').toLowerCase();
      } else if (key === 'path') {
        // A Path that does not start with "/" means the default path, which is "/" here.
        path = val.startsWith('/') ? val : '/';
      } else if (key === 'secure') {
        secure = true;
      }
    }
    // Max-Age wins over Expires (5.7).
    const expires = maxAge ?? expiry;
    if (domain !== undefined && domain !== '' && domain !== HOST) {
      if (!HOST.endsWith(`.${domain}`)) return 'ignored';
    }
    const cookie: StoredCookie = {
      name,
      value,
      hostOnly: domain === undefined || domain === '',
      path: path ?? '/',
      secure,
    };
    // A Secure cookie only from a secure channel (5.7).
    if (secure && !secureChannel) return 'ignored';
    const lower = name.toLowerCase();
    // The prefixes (5.7).
    if (lower.startsWith('__secure-') && !secure) return 'ignored';
    if (lower.startsWith('__host-') && !(secure && cookie.hostOnly && cookie.path === '/')) {
      return 'ignored';
    }
    // Leave secure cookies alone (5.7): an insecure channel cannot shadow a Secure one.
    if (!secure && !secureChannel) {
      for (const old of this.#cookies.values()) {
        if (old.name === name && old.secure && cookie.path.startsWith(old.path)) return 'ignored';
      }
    }
    const key = keyOf(cookie);
    const existed = this.#cookies.delete(key);
    if (expires !== undefined && expires <= Date.now()) return existed ? 'removed' : 'ignored';
    this.#cookies.set(key, cookie);
    return 'stored';
  }

  /** Receive every `Set-Cookie` line of a response. */
  receiveAll(lines: readonly string[], secureChannel: boolean): Outcome[] {
    return lines.map((line) => this.receive(line, secureChannel));
  }

  /** Plant a cookie as another party could (a sibling subdomain, or an earlier visit). */
  plant(name: string, value: string, options: { secure?: boolean } = {}): void {
    const cookie = { name, value, hostOnly: true, path: '/', secure: options.secure === true };
    this.#cookies.set(keyOf(cookie), cookie);
  }

  /** The `Cookie` header for a request to `/` (5.8.3): Secure cookies only over secure channels. */
  header(secureChannel: boolean): string | undefined {
    const pairs = [...this.#cookies.values()]
      .filter((c) => secureChannel || !c.secure)
      .map((c) => `${c.name}=${c.value}`);
    return pairs.length === 0 ? undefined : pairs.join('; ');
  }

  /** Names of the cookies held. */
  names(): string[] {
    return [...this.#cookies.values()].map((c) => c.name).sort();
  }

  value(name: string): string | undefined {
    for (const c of this.#cookies.values()) if (c.name === name) return c.value;
    return undefined;
  }
}
