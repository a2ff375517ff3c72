import { existsSync } from 'node:fs';
import { loadDriver, SqliteStore } from '../stores/sqlite/store.js';
import type { Store } from '../stores/store.js';
import { loadOptional } from './drivers.js';
import { CliError, UsageError } from './errors.js';
import { noAccessLog } from './no-access-log.js';
import { redactUrl, scrubSecrets } from './redact-url.js';

/** A store opened from a URL, with what closes it and everything it owns. */
export interface OpenedStore {
  readonly store: Store;
  /** The URL as it may be shown (password masked). */
  readonly label: string;
  close(): Promise<void>;
}

/**
 * Which store a command works on, as its options give it: `--store` (a URL) and the settings
 * some stores take beside it.
 */
export interface StoreChoice {
  /** `sqlite:PATH`, `postgres://...`, `redis://...` or `module:SPECIFIER[#EXPORT]`. */
  readonly store?: string | undefined;
  /** PostgreSQL: the base table. Default `access_records`. */
  readonly table?: string | undefined;
  /** PostgreSQL: the schema the table is in. Default: the connection's search path. */
  readonly schema?: string | undefined;
  /** Redis: the key prefix. Default `epl`. */
  readonly prefix?: string | undefined;
  /** A module store: JSON handed to its export. */
  readonly 'store-options'?: string | undefined;
}

/** The store URL used when none is given: the middleware's embedded default. */
export const DEFAULT_STORE_URL = 'sqlite:./access-log.sqlite';

const FORMS =
  'sqlite:./access-log.sqlite, postgres://user@host/db, redis://host:6379 or module:./my-store.js';

/** Milliseconds the command line waits for a database that is busy or far away. */
export const WAIT_MS = 5000;

/** The settings of a {@link StoreChoice}, checked against the kind of store the URL names. */
export interface StoreTarget {
  readonly url: string;
  readonly label: string;
  readonly table?: string;
  readonly schema?: string;
  readonly prefix?: string;
  readonly options?: unknown;
}

/**
 * Open the store a URL names: `sqlite:<path>` (also `sqlite://<path>`), `postgres://` or
 * `postgresql://`, `redis://` or `rediss://`, or `module:<path or package>[#export]`. The command
 * line never creates an access log: a SQLite file, a PostgreSQL table or Redis keys that are not
 * there are "no access log here" (exit 1), and nothing is created looking for them. PostgreSQL
 * and Redis need their optional drivers (`pg`, `redis`); without them the error names the install
 * command.
 */
export async function openStore(url: string, choice: StoreChoice = {}): Promise<OpenedStore> {
  try {
    return await openByScheme(url, choice);
  } catch (err) {
    // A driver may quote the URL or a part of it in its message.
    if (err instanceof Error) {
      err.message = scrubSecrets(url, err.message);
      if (err.stack !== undefined) err.stack = scrubSecrets(url, err.stack);
    }
    throw err;
  }
}

async function openByScheme(url: string, choice: StoreChoice): Promise<OpenedStore> {
  const label = redactUrl(url);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  const kind =
    scheme === 'sqlite'
      ? 'sqlite'
      : scheme === 'postgres' || scheme === 'postgresql'
        ? 'postgres'
        : scheme === 'redis' || scheme === 'rediss'
          ? 'redis'
          : scheme === 'module'
            ? 'module'
            : undefined;
  if (kind === undefined) {
    throw new UsageError(
      scheme === undefined
        ? `not a store URL: "${label}"; use ${FORMS}`
        : `unknown store URL scheme "${scheme}:" in "${label}"; use ${FORMS}`,
    );
  }
  const target = targetOf(kind, url, label, choice);
  if (kind === 'sqlite') return openSqlite(target);
  if (kind === 'module') return (await import('./module-store.js')).openModuleStore(target);
  const servers = await import('./server-stores.js');
  return kind === 'postgres' ? servers.openPostgres(target) : servers.openRedis(target);
}

/** Each setting belongs to one kind of store; given to another, it is a mistake, not ignored. */
function targetOf(
  kind: 'sqlite' | 'postgres' | 'redis' | 'module',
  url: string,
  label: string,
  choice: StoreChoice,
): StoreTarget {
  const owners = [
    ['--table', choice.table, 'postgres', 'a PostgreSQL table'],
    ['--schema', choice.schema, 'postgres', 'a PostgreSQL schema'],
    ['--prefix', choice.prefix, 'redis', 'a Redis key prefix'],
    ['--store-options', choice['store-options'], 'module', 'options for a module store'],
  ] as const;
  for (const [option, value, owner, what] of owners) {
    if (value !== undefined && kind !== owner) {
      throw new UsageError(`${option} names ${what}, and "${label}" is not one`);
    }
  }
  let options: unknown;
  const json = choice['store-options'];
  if (json !== undefined) {
    try {
      options = JSON.parse(json);
    } catch (err) {
      throw new UsageError(`--store-options must be JSON: ${(err as Error).message}`);
    }
  }
  return {
    url,
    label,
    ...(choice.table === undefined ? {} : { table: choice.table }),
    ...(choice.schema === undefined ? {} : { schema: choice.schema }),
    ...(choice.prefix === undefined ? {} : { prefix: choice.prefix }),
    ...(json === undefined ? {} : { options }),
  };
}

async function openSqlite({ url, label }: StoreTarget): Promise<OpenedStore> {
  let path = url.slice('sqlite:'.length);
  if (path.startsWith('//')) path = path.slice(2);
  if (path === '') {
    throw new UsageError(`the store URL "${label}" names no file; use ${DEFAULT_STORE_URL}`);
  }
  if (path === ':memory:') {
    throw new UsageError('sqlite::memory: holds nothing outside one process; name a file');
  }
  if (!existsSync(path)) {
    throw noAccessLog(`no SQLite database at ${path} (from the store URL "${label}")`);
  }
  const Driver = await loadOptional(async () => loadDriver(), 'better-sqlite3', 'a SQLite store');
  // Looked at read-only first: init() would add the tables to any SQLite file it is given.
  let hasTable: boolean;
  try {
    const db = new Driver(path, { readonly: true, fileMustExist: true });
    try {
      hasTable =
        db
          .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'access_records'")
          .get() !== undefined;
    } finally {
      db.close();
    }
  } catch (err) {
    throw new CliError(`cannot open the SQLite database ${path}: ${message(err)}`);
  }
  if (!hasTable) {
    throw noAccessLog(`the SQLite database ${path} holds no access_records table`);
  }
  let store: SqliteStore;
  try {
    store = new SqliteStore({ path, busyTimeoutMs: WAIT_MS });
    await store.init();
  } catch (err) {
    throw new CliError(`cannot open the SQLite database ${path}: ${message(err)}`);
  }
  return { store, label, close: () => store.close() };
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
