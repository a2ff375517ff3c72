import { IncomingMessage } from 'node:http';

/** Express's compiled `trust proxy` test: is the peer at `address`, `hop` hops away, trusted? */
type TrustTest = (address: string | undefined, hop: number) => boolean;

/** What {@link isSecureRequest} reads of a request: Express's fields, when Express made it. */
export interface SecureRequest {
  readonly headers: { readonly [name: string]: string | string[] | undefined };
  readonly socket?: { readonly remoteAddress?: string | undefined; encrypted?: boolean } | null;
  readonly app?: { get(setting: string): unknown } | undefined;
  readonly secure?: boolean;
}

/** On a socket: whether its peer passed the app's `trust proxy` test, and which test it was. */
const PEER_TRUST = Symbol('express-privacy-log.peerTrust');
interface TrustMemo {
  readonly test: TrustTest;
  readonly trusted: boolean;
}
type MemoSocket = { [PEER_TRUST]?: TrustMemo };

/**
 * Express's `req.secure`, computed as Express does (TLS on the socket; under a `trust proxy`
 * setting that trusts the socket's peer, the first `X-Forwarded-Proto` value is `https`), but with
 * the peer's trust worked out once per connection instead of on every read: Express parses the
 * socket's address for it each time, which was the largest cost of naming the cookies.
 *
 * The trust is remembered only when the setting is a value (`true`, a hop count, addresses or
 * names), which Express compiles into a pure test; a `trust proxy` function of the app's own may
 * answer differently over time, so it is asked on every request, as Express would. Outside Express
 * (no `req.app`), `req.secure` is read as it is.
 */
export function isSecureRequest(req: SecureRequest): boolean {
  const app = req.app;
  const socket = req.socket;
  const test = app?.get('trust proxy fn');
  if (typeof test !== 'function' || socket == null || !expressDefines(req)) {
    return req.secure === true;
  }
  const encrypted = socket.encrypted === true;
  let trusted: boolean;
  if (typeof app!.get('trust proxy') === 'function') {
    trusted = (test as TrustTest)(socket.remoteAddress, 0);
  } else {
    const memo = (socket as MemoSocket)[PEER_TRUST];
    if (memo !== undefined && memo.test === test) {
      trusted = memo.trusted;
    } else {
      trusted = (test as TrustTest)(socket.remoteAddress, 0);
      (socket as MemoSocket)[PEER_TRUST] = { test: test as TrustTest, trusted };
    }
  }
  if (!trusted) return encrypted;
  const header = req.headers['x-forwarded-proto'];
  // Express: `req.get('X-Forwarded-Proto') || proto`, then the first comma-separated value.
  if (typeof header !== 'string' || header === '') return encrypted;
  const comma = header.indexOf(',');
  return (comma === -1 ? header : header.slice(0, comma)).trim() === 'https';
}

/** By request prototype: whether `secure` and `protocol` are Express's own getters. */
const ownGetters = new WeakMap<object, boolean>();

/**
 * Whether this request's `secure` and `protocol` are the getters Express defines (on its request
 * prototype, the one just above Node's `IncomingMessage`), so that computing them here gives what
 * Express would. An app that redefines either (on `app.request`, say) is read through its own.
 */
function expressDefines(req: SecureRequest): boolean {
  const proto: object | null = Object.getPrototypeOf(req);
  if (proto === null) return false;
  let own = ownGetters.get(proto);
  if (own === undefined) {
    own = definer(proto, 'secure') === definer(proto, 'protocol') && isExpressRoot(proto);
    ownGetters.set(proto, own);
  }
  return own;
}

function definer(from: object, key: string): object | undefined {
  for (let o: object | null = from; o !== null; o = Object.getPrototypeOf(o)) {
    if (Object.hasOwn(o, key)) return o;
  }
  return undefined;
}

function isExpressRoot(proto: object): boolean {
  const at = definer(proto, 'secure');
  return at !== undefined && Object.getPrototypeOf(at) === IncomingMessage.prototype;
}
