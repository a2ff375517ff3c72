import { existsSync } from 'node:fs';
import { SqliteStore } from '../stores/sqlite-store.js';
import type { Store } from '../stores/store.js';
import { CliError, UsageError } from './errors.js';
import { redactUrl, scrubSecrets } from './redact-url.js';

/** A store opened from a URL, with what closes it and everything it owns. */
export interface OpenedStore {
  readonly store: Store;
  /** The URL as it may be shown (password masked). */
  readonly label: string;
  close(): Promise<void>;
}

/** The store URL used when none is given: the middleware's embedded default. */
export const DEFAULT_STORE_URL = 'sqlite:./access-log.sqlite';

const FORMS = 'sqlite:./access-log.sqlite, postgres://user@host/db or redis://host:6379';

/** Milliseconds the command line waits for a database that is busy or far away. */
const WAIT_MS = 5000;

/**
 * Open the store a URL names: `sqlite:<path>` (also `sqlite://<path>`), `postgres://` or
 * `postgresql://`, `redis://` or `rediss://`. The SQLite file must exist: a mistyped path must not
 * quietly create an empty database and report that nothing is stored. PostgreSQL and Redis need
 * their optional drivers (`pg`, `redis`); without them the error says which to install.
 */
export async function openStore(url: string): Promise<OpenedStore> {
  try {
    return await openByScheme(url);
  } catch (err) {
    // A driver may quote the URL or a part of it in its message.
    if (err instanceof Error) {
      err.message = scrubSecrets(url, err.message);
      if (err.stack !== undefined) err.stack = scrubSecrets(url, err.stack);
    }
    throw err;
  }
}

async function openByScheme(url: string): Promise<OpenedStore> {
  const label = redactUrl(url);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') return openSqlite(url, label);
  if (scheme === 'postgres' || scheme === 'postgresql') return openPostgres(url, label);
  if (scheme === 'redis' || scheme === 'rediss') return openRedis(url, label);
  throw new UsageError(
    scheme === undefined
      ? `not a store URL: "${label}"; use ${FORMS}`
      : `unknown store URL scheme "${scheme}:" in "${label}"; use ${FORMS}`,
  );
}

async function openSqlite(url: string, label: string): Promise<OpenedStore> {
  let path = url.slice('sqlite:'.length);
  if (path.startsWith('//')) path = path.slice(2);
  if (path === '') {
    throw new UsageError(`the store URL "${label}" names no file; use ${DEFAULT_STORE_URL}`);
  }
  if (path !== ':memory:' && !existsSync(path)) {
    throw new CliError(`no SQLite database at ${path} (from the store URL "${label}")`);
  }
  const store = new SqliteStore({ path, busyTimeoutMs: WAIT_MS });
  try {
    await store.init();
  } catch (err) {
    throw new CliError(`cannot open the SQLite database ${path}: ${message(err)}`);
  }
  return { store, label, close: () => store.close() };
}

async function openPostgres(url: string, label: string): Promise<OpenedStore> {
  const [{ PostgresStore }, pg] = await Promise.all([
    load(() => import('../stores/postgres-store.js'), 'the PostgreSQL store'),
    load(() => import('pg'), 'the PostgreSQL driver: install it with "npm install pg"'),
  ]);
  const Pool = (pg as { default?: { Pool: unknown }; Pool?: unknown }).default?.Pool ?? pg.Pool;
  // `?table=NAME` picks the store's base table; the driver never sees it.
  let connectionString = url;
  let table: string | undefined;
  try {
    const parsed = new URL(url);
    table = parsed.searchParams.get('table') ?? undefined;
    if (table !== undefined) {
      parsed.searchParams.delete('table');
      connectionString = parsed.toString();
    }
  } catch {
    // Not a URL the WHATWG parser reads: pg reports what is wrong with it.
  }
  const pool = new (Pool as typeof import('pg').Pool)({
    connectionString,
    connectionTimeoutMillis: WAIT_MS,
    max: 2,
  });
  // pg asks for a listener: an idle client's error would otherwise end the process.
  pool.on('error', () => {});
  let store: InstanceType<typeof PostgresStore>;
  try {
    store = new PostgresStore({ pool, connectTimeoutMs: WAIT_MS, ...(table && { table }) });
  } catch (err) {
    await pool.end().catch(() => {});
    throw new CliError(`${label}: ${message(err)}`);
  }
  try {
    await store.init();
  } catch (err) {
    await pool.end().catch(() => {});
    throw new CliError(`cannot open the PostgreSQL store at ${label}: ${message(err)}`);
  }
  return {
    store,
    label,
    close: async () => {
      await store.close();
      await pool.end();
    },
  };
}

async function openRedis(url: string, label: string): Promise<OpenedStore> {
  const [{ RedisStreamStore }, redis] = await Promise.all([
    load(() => import('../stores/redis-stream-store.js'), 'the Redis store'),
    load(() => import('redis'), 'the Redis driver: install it with "npm install redis"'),
  ]);
  let client: ReturnType<typeof redis.createClient>;
  try {
    client = redis.createClient({
      url,
      disableOfflineQueue: true,
      socket: { connectTimeout: WAIT_MS, reconnectStrategy: false },
    });
  } catch (err) {
    throw new CliError(`cannot open the Redis store at ${label}: ${message(err)}`);
  }
  // Without a listener a connection error is thrown from an event and ends the process.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    throw new CliError(`cannot connect to Redis at ${label}: ${message(err)}`);
  }
  const store = new RedisStreamStore({ client });
  try {
    await store.init?.();
  } catch (err) {
    client.destroy();
    throw new CliError(`cannot open the Redis store at ${label}: ${message(err)}`);
  }
  return {
    store,
    label,
    close: async () => {
      await store.close?.();
      await client.close();
    },
  };
}

/** Import an optional module, or say plainly which one is missing. */
async function load<T>(importer: () => Promise<T>, what: string): Promise<T> {
  try {
    return await importer();
  } catch (err) {
    throw new CliError(`${what} is not available (${message(err)})`);
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
