/** An error as plain data, to cross between threads whatever it was (an Error, a string, anything). */
export interface SerialError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly stack?: string;
}

/**
 * Describe anything thrown, never throwing itself (a hostile getter must not break the caller).
 * `withStack: false` leaves the stack unread: V8 formats it on first read, which is most of what
 * an error costs when the other side only needs to know that a call failed.
 */
export function toSerialError(err: unknown, withStack = true): SerialError {
  try {
    if (err instanceof Error) {
      const code = (err as { code?: unknown }).code;
      const stack = withStack ? err.stack : undefined;
      return {
        name: err.name,
        message: err.message,
        ...(typeof code === 'string' ? { code } : {}),
        ...(typeof stack === 'string' ? { stack } : {}),
      };
    }
    return { name: 'Error', message: String(err) };
  } catch {
    return { name: 'Error', message: 'unprintable error' };
  }
}

/**
 * An Error again, with the name, message, code and stack it had on the other thread. It captures
 * no stack of this thread: that would be the message handler's, which says nothing, and V8 walks
 * and translates every frame to capture one (a few thousand instructions per error, paid for each
 * failed reverse-DNS lookup an app's resolver answered).
 */
export function fromSerialError(error: SerialError): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let made: Error;
  try {
    made = new Error(error.message);
  } finally {
    Error.stackTraceLimit = limit;
  }
  made.name = error.name;
  if (error.code !== undefined) Object.assign(made, { code: error.code });
  made.stack = error.stack ?? `${error.name}: ${error.message}`;
  return made;
}

/**
 * Log details made cloneable: an Error anywhere at the top level becomes plain data, and anything
 * else that cannot be cloned (a function, a socket) is replaced by its description.
 */
export function cloneableDetails(details: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) {
    if (value instanceof Error) out[key] = toSerialError(value);
    else if (typeof value === 'function' || typeof value === 'symbol') out[key] = String(value);
    else {
      try {
        out[key] = structuredClone(value);
      } catch {
        out[key] = String(value);
      }
    }
  }
  return out;
}

/** The other side of {@link cloneableDetails}: `err` becomes an Error, as loggers expect. */
export function restoreDetails(details: Record<string, unknown>): Record<string, unknown> {
  const err = details.err as SerialError | undefined;
  if (err === undefined || typeof err !== 'object' || typeof err.message !== 'string') {
    return details;
  }
  return { ...details, err: fromSerialError(err) };
}
