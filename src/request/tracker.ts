import type { Captured } from './capture.js';
import { type HandleContext, PrivacyLogHandle } from './handle.js';
import type { HandleSource } from './handle-slot.js';
import { isSecureRequest, type SecureRequest } from './secure.js';

/** What the tracker reads of a request once its response has closed. */
interface TrackedRequest extends SecureRequest {
  readonly route?: { path?: unknown } | undefined;
  readonly baseUrl?: string;
}

/** What the tracker reads of a closed response. */
interface ClosedResponse {
  readonly writableFinished: boolean;
  readonly headersSent: boolean;
  readonly statusCode: number;
  getHeader(name: string): unknown;
}

/**
 * One request from its arrival to its response's `close`: it works out `req.secure` at most
 * once and only if a cookie needs it (it is a `SecureFlag`, so no closure is made for that), and
 * fills in the outcome when the response closes. It holds the request only until then; what goes
 * on to the background stage is {@link captured}. It also makes the request's `req.privacyLog`,
 * once and only if something reads it.
 */
export class RequestTracker implements HandleSource {
  #req: TrackedRequest | undefined;
  #secure: boolean | undefined;
  readonly #context: HandleContext;
  #handle: PrivacyLogHandle | undefined;
  /** Set once the decision is made, before the response can close. */
  captured: Captured | undefined;

  constructor(req: TrackedRequest, context: HandleContext) {
    this.#req = req;
    this.#context = context;
  }

  /** `req.privacyLog`: the same handle on every read. */
  handle(): PrivacyLogHandle {
    this.#handle ??= new PrivacyLogHandle(this.captured!, this.#context);
    return this.#handle;
  }

  /** Express's `req.secure` (computed as Express does, see {@link isSecureRequest}), on first use. */
  get secure(): boolean {
    this.#secure ??= this.#req !== undefined && isSecureRequest(this.#req);
    return this.#secure;
  }

  /** True when a cookie needed {@link secure} and the request was not secure. */
  get insecure(): boolean {
    return this.#secure === false;
  }

  /**
   * Record the outcome of the closed response in the captured request and let go of the request.
   * Returns the captured request, or undefined when there is none or it was already completed.
   */
  complete(res: ClosedResponse): Captured | undefined {
    const captured = this.captured;
    const req = this.#req;
    if (captured === undefined || req === undefined) return undefined;
    this.#req = undefined;
    captured.durationMs = performance.now() - captured.startPerf;
    // An aborted response never finished: its statusCode still reads 200, so say what was sent.
    captured.aborted = !res.writableFinished;
    captured.status = res.headersSent ? res.statusCode : 0;
    const length = res.getHeader('content-length');
    if (length !== undefined) {
      const n = Number(length);
      if (Number.isSafeInteger(n) && n >= 0) captured.bytes = n;
    }
    const route = req.route?.path;
    if (typeof route === 'string') captured.route = (req.baseUrl ?? '') + route;
    return captured;
  }
}
