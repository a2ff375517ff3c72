/**
 * How the PostgreSQL store borrows a connection from the user's pool and talks over it without
 * ever waiting forever: pg waits for a free connection, and for an answer, without any limit by
 * default.
 */

/** A query result, as much of pg's `QueryResult` as the store reads. */
export interface PgResult<R = Record<string, unknown>> {
  rows: R[];
  rowCount: number | null;
}

/**
 * A `COPY ... FROM STDIN` statement as pg-copy-streams makes it: pg submits it, the store writes
 * the data into it, and it finishes once the server has stored everything.
 */
export interface CopyIn {
  submit(connection: unknown): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'finish', listener: () => void): unknown;
  end(data: string): unknown;
}

/** A checked-out connection: the part of pg's `PoolClient` the store uses. */
export interface PgClient {
  query(text: string, values?: unknown[]): Promise<PgResult<never>>;
  /** Submit a COPY stream (pg returns the stream itself). */
  query(copy: CopyIn): unknown;
  /** Give the connection back; with an error (or `true`) the pool destroys it instead. */
  release(destroy?: Error | boolean): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
}

/** A connection pool the user owns, such as `new pg.Pool(...)`: the store only borrows from it. */
export interface PgPool {
  connect(): Promise<PgClient>;
}

/** The limits every borrowed connection works under, in milliseconds. */
export interface SessionLimits {
  /** Longest wait for a connection from the pool. */
  connectTimeoutMs: number;
  /** Server-side `statement_timeout`; the client gives up a second later. */
  statementTimeoutMs: number;
  /** Server-side `lock_timeout`. */
  lockTimeoutMs: number;
}

/** Run one statement on the borrowed connection, with the session's client-side timeout. */
export interface Query {
  <R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PgResult<R>>;
  /**
   * Run a COPY statement, sending `data` into it, under the same timeout; resolves once the
   * server has stored all of it.
   */
  copyIn(copy: CopyIn, data: string): Promise<void>;
}

/** An error with a `code`, so that callers and logs can tell the store's timeouts apart. */
function codedError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * Borrow a connection within `connectTimeoutMs`, run `work` with it, and give it back: destroyed
 * when the connection may be unusable (a timeout, a connection error), returned to the pool
 * otherwise. A connection that arrives after we gave up waiting is returned at once.
 */
export async function withConnection<T>(
  pool: PgPool,
  limits: SessionLimits,
  work: (query: Query) => Promise<T>,
): Promise<T> {
  const client = await acquire(pool, limits.connectTimeoutMs);
  let broken: Error | undefined;
  // A connection that dies while checked out emits 'error'; unheard, it would end the process.
  const onError = (error: Error): void => {
    broken ??= error;
  };
  client.on('error', onError);
  const clientTimeoutMs = limits.statementTimeoutMs + 1000;
  /** `answer`, or a rejection once the client-side timeout passes (the connection is then broken). */
  const bounded = <T>(answer: Promise<T>): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        broken ??= codedError(
          `PostgreSQL did not answer within ${clientTimeoutMs} ms`,
          'ERR_PG_QUERY_TIMEOUT',
        );
        reject(broken);
      }, clientTimeoutMs);
      timer.unref();
      answer.then(
        (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        (error: unknown) => {
          clearTimeout(timer);
          if (isConnectionError(error)) broken ??= error as Error;
          reject(error);
        },
      );
    });
  const query = ((text: string, values?: unknown[]) => {
    if (broken !== undefined) return Promise.reject(broken);
    return bounded(client.query(text, values));
  }) as Query;
  query.copyIn = (copy, data) => {
    if (broken !== undefined) return Promise.reject(broken);
    // The listeners stay: an error after the answer (or after the timeout) must not go unheard.
    const done = new Promise<void>((resolve, reject) => {
      copy.on('error', reject);
      copy.on('finish', () => resolve());
    });
    client.query(copy);
    copy.end(data);
    return bounded(done);
  };
  try {
    return await work(query);
  } finally {
    client.off('error', onError);
    // The pool owns the 'error' event again once the client is idle; a late one must be heard.
    if (broken === undefined) client.release();
    else {
      client.on('error', () => {});
      client.release(broken);
    }
  }
}

/**
 * Run `work` in a transaction whose statements are bounded by `statement_timeout` and
 * `lock_timeout` (set LOCAL, so the user's pooled connection keeps its own settings afterwards).
 */
export function inTransaction<T>(
  pool: PgPool,
  limits: SessionLimits,
  work: (query: Query) => Promise<T>,
  statementTimeoutMs = limits.statementTimeoutMs,
): Promise<T> {
  const bounded = { ...limits, statementTimeoutMs };
  return withConnection(pool, bounded, (query) => transaction(query, bounded, work));
}

/** BEGIN with local timeouts, `work`, COMMIT; ROLLBACK (best effort) when anything fails. */
export async function transaction<T>(
  query: Query,
  limits: SessionLimits,
  work: (query: Query) => Promise<T>,
): Promise<T> {
  // Integers validated at construction: safe to inline, and one round trip instead of three.
  await query(
    `BEGIN; SET LOCAL statement_timeout = ${limits.statementTimeoutMs}; ` +
      `SET LOCAL lock_timeout = ${limits.lockTimeoutMs}`,
  );
  try {
    const result = await work(query);
    await query('COMMIT');
    return result;
  } catch (error) {
    await query('ROLLBACK').catch(() => {});
    throw error;
  }
}

async function acquire(pool: PgPool, timeoutMs: number): Promise<PgClient> {
  const pending = pool.connect();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
    timer.unref();
  });
  try {
    const client = await Promise.race([pending, expired]);
    if (client !== undefined) return client;
  } finally {
    clearTimeout(timer);
  }
  pending.then(
    (late) => late.release(),
    () => {},
  );
  throw codedError(
    `no PostgreSQL connection from the pool within ${timeoutMs} ms`,
    'ERR_PG_CONNECT_TIMEOUT',
  );
}

/** Errors after which the connection cannot be trusted: it is destroyed rather than reused. */
function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return true;
  const code = (error as { code?: unknown }).code;
  // SQLSTATE class 08 (connection exception) and 57P0x (admin shutdown, crash); or no SQLSTATE at
  // all, which means the driver itself failed (socket closed, protocol error).
  if (typeof code !== 'string') return true;
  return code.startsWith('08') || code.startsWith('57P');
}
