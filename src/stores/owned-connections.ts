import { isMissingPackage, missingPackageMessage } from './missing-package.js';
import type { PgClient, PgPool } from './postgres/session.js';
import type { RedisLike } from './redis/options.js';

/**
 * Connections a store opens and closes itself, from plain data (a connection string, pool
 * options, a URL), so that it can be rebuilt in the logger's worker thread. The drivers are the
 * optional peer dependencies, imported on first use.
 */

/** pg's pool options, as plain data (`host`, `user`, `database`, `max`, `ssl`...). */
export type PgPoolConfig = Readonly<Record<string, unknown>>;

/** A pool the store owns: made on the first connection, ended by {@link OwnedPgPool.end}. */
export interface OwnedPgPool extends PgPool {
  end(): Promise<void>;
}

interface PgPoolInstance {
  connect(): Promise<PgClient>;
  end(): Promise<void>;
  on(event: 'error', listener: () => void): unknown;
}

/**
 * A `pg.Pool` from a connection string or pool options. Connection attempts are bounded
 * (`connectionTimeoutMillis`, default `connectTimeoutMs`): pg waits forever by default.
 */
export function ownedPgPool(config: PgPoolConfig, connectTimeoutMs: number): OwnedPgPool {
  let pool: Promise<PgPoolInstance> | undefined;
  let ended = false;
  const open = async (): Promise<PgPoolInstance> => {
    const pg = (await importDriver('pg', 'PostgresStore')) as {
      default?: { Pool: unknown };
      Pool?: unknown;
    };
    const Pool = (pg.default?.Pool ?? pg.Pool) as new (config: object) => PgPoolInstance;
    const made = new Pool({ connectionTimeoutMillis: connectTimeoutMs, ...config });
    // pg asks for a listener: an idle client's error would otherwise end the process.
    made.on('error', () => {});
    return made;
  };
  return {
    async connect() {
      if (ended) throw new Error('the connection pool was closed with its store');
      pool ??= open().catch((err: unknown) => {
        pool = undefined;
        throw err;
      });
      return (await pool).connect();
    },
    async end() {
      ended = true;
      const made = await pool?.catch(() => undefined);
      await made?.end();
    },
  };
}

/** What a PostgresStore's options say about its pool; see {@link storePool}. */
interface PoolChoice {
  readonly pool?: PgPool | undefined;
  readonly connectionString?: string | undefined;
  readonly poolConfig?: PgPoolConfig | undefined;
}

/**
 * The pool a PostgresStore uses: the caller's `pool`, or one it makes from `connectionString` or
 * `poolConfig` (exactly one of the three), with the options that make the same store again.
 */
export function storePool<O extends PoolChoice>(
  options: O,
  connectTimeoutMs: number,
): { pool: PgPool; owned?: { pool: OwnedPgPool; options: Record<string, unknown> } } {
  const { pool, connectionString, poolConfig, ...settings } = options ?? ({} as O);
  const given = [pool, connectionString, poolConfig].filter((v) => v !== undefined).length;
  if (given !== 1 || (pool !== undefined && typeof pool.connect !== 'function')) {
    throw new TypeError(
      'PostgresStore: give options.pool (a pg.Pool: an object with connect()), or options.connectionString, or options.poolConfig',
    );
  }
  if (pool !== undefined) return { pool };
  const made = ownedPgPool(poolConfig ?? { connectionString }, connectTimeoutMs);
  const how = poolConfig === undefined ? { connectionString } : { poolConfig };
  return { pool: made, owned: { pool: made, options: { ...settings, ...how } } };
}

/** A Redis client the store owns: connected by {@link OwnedRedisClient.connect}. */
export interface OwnedRedisClient extends RedisLike {
  /** Connect, once; a failed attempt is tried again on the next call. */
  connect(): Promise<void>;
  close(): Promise<void>;
}

interface RedisClientInstance extends RedisLike {
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  destroy(): void;
  on(event: 'error', listener: () => void): unknown;
}

/**
 * A node-redis client for a URL, made the way the store needs it: commands fail instead of queueing
 * while Redis is away (`disableOfflineQueue`), connection attempts are bounded, and a lost
 * connection is re-established in the background with capped backoff.
 */
export function ownedRedisClient(url: string, connectTimeoutMs: number): OwnedRedisClient {
  let client: RedisClientInstance | undefined;
  let connecting: Promise<void> | undefined;
  let closed = false;
  const open = async (): Promise<void> => {
    const redis = (await importDriver('redis', 'RedisStreamStore')) as {
      createClient: (options: object) => unknown;
    };
    let connected = false;
    const made = redis.createClient({
      url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: connectTimeoutMs,
        // A first connection that fails ends the attempt (init() rejects and is retried by the
        // caller); a connection lost later is re-established in the background.
        reconnectStrategy: (retries: number, cause: Error) =>
          connected ? Math.min(100 * 2 ** retries, 5000) : cause,
      },
    }) as RedisClientInstance;
    // Without a listener a connection error is thrown from an event and ends the process.
    made.on('error', () => {});
    try {
      await made.connect();
      connected = true;
    } catch (err) {
      if (made.isOpen) made.destroy();
      throw err;
    }
    if (closed) made.destroy();
    else client = made;
  };
  return {
    get isReady() {
      return client?.isReady === true;
    },
    sendCommand(args) {
      if (client === undefined) return Promise.reject(new Error('Redis is not connected'));
      return client.sendCommand(args);
    },
    connect() {
      if (closed) return Promise.reject(new Error('the Redis client was closed with its store'));
      if (client !== undefined) return Promise.resolve();
      connecting ??= open().finally(() => {
        connecting = undefined;
      });
      return connecting;
    },
    async close() {
      closed = true;
      await connecting?.catch(() => undefined);
      client?.destroy();
      client = undefined;
    },
  };
}

/**
 * Import a store's driver, an optional peer; a driver that is not installed is said in one sentence
 * with the command that installs it (`ERR_MISSING_DRIVER`), not as a module resolution error.
 */
async function importDriver(name: 'pg' | 'redis', who: string): Promise<unknown> {
  try {
    return await import(name);
  } catch (err) {
    if (!isMissingPackage(err, name)) throw err;
    throw Object.assign(new Error(missingPackageMessage(who, name)), {
      code: 'ERR_MISSING_DRIVER',
      package: name,
    });
  }
}
