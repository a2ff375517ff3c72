import { tableNames } from '../stores/postgres/sql.js';
import { loadOptional } from './drivers.js';
import { CliError, UsageError } from './errors.js';
import { noAccessLog } from './no-access-log.js';
import { message, type OpenedStore, type StoreTarget, WAIT_MS } from './store-url.js';

/** A schema name as --schema takes it: nothing that needs quoting in a search path. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** The PostgreSQL store at `target`: its table must exist (looked up before `init()` runs). */
export async function openPostgres({
  url,
  label,
  table,
  schema,
}: StoreTarget): Promise<OpenedStore> {
  const name = table ?? 'access_records';
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new UsageError(
      `--schema must be a plain name (letters, digits, underscores; at most 63 characters), got ${JSON.stringify(schema)}`,
    );
  }
  try {
    tableNames(name);
  } catch (err) {
    throw new UsageError(`--table: ${message(err).replace(/^PostgresStore: table /, '')}`);
  }
  const [{ PostgresStore }, pg] = await Promise.all([
    import('../stores/postgres/store.js'),
    loadOptional(() => import('pg'), 'pg', 'a PostgreSQL store'),
  ]);
  const Pool = (pg as { default?: { Pool: unknown }; Pool?: unknown }).default?.Pool ?? pg.Pool;
  const pool = new (Pool as typeof import('pg').Pool)({
    connectionString: url,
    connectionTimeoutMillis: WAIT_MS,
    max: 2,
    // The store names its tables unqualified, as an app's pool with this search path would.
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // pg asks for a listener: an idle client's error would otherwise end the process.
  pool.on('error', () => {});
  try {
    // The schema-version table is what init() creates first; without both, this is no log.
    const { rows } = await pool.query<{ base: string | null; version: string | null }>(
      'SELECT to_regclass($1) AS base, to_regclass($2) AS version',
      [`"${name}"`, `"${name}_schema"`],
    );
    if (rows[0]?.base != null && rows[0]?.version == null) {
      throw noAccessLog(
        `the table "${name}" at ${label} is not one this library wrote (it has no "${name}_schema" table beside it)`,
      );
    }
    if (rows[0]?.base == null) {
      throw noAccessLog(
        `PostgreSQL at ${label} has no table "${name}" ${schema === undefined ? 'on its search path' : `in the schema "${schema}"`} (name the table with --table, the schema with --schema)`,
      );
    }
  } catch (err) {
    await pool.end().catch(() => {});
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot open the PostgreSQL store at ${label}: ${message(err)}`);
  }
  const store = new PostgresStore({ pool, table: name, connectTimeoutMs: WAIT_MS });
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

/** The Redis store at `target`: some of its keys must exist under the prefix. */
export async function openRedis({ url, label, prefix }: StoreTarget): Promise<OpenedStore> {
  const [{ RedisStreamStore }, redis] = await Promise.all([
    import('../stores/redis/store.js'),
    loadOptional(() => import('redis'), 'redis', 'a Redis store'),
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
  let store: InstanceType<typeof RedisStreamStore>;
  try {
    store = new RedisStreamStore({ client, ...(prefix === undefined ? {} : { prefix }) });
  } catch (err) {
    throw new UsageError(`--prefix: ${message(err).replace(/^RedisStreamStore: prefix /, '')}`);
  }
  try {
    await client.connect();
  } catch (err) {
    throw new CliError(`cannot connect to Redis at ${label}: ${message(err)}`);
  }
  try {
    // The essential stream outlives its entries; the time index and the holds exist while
    // records or holds do. A prefix with none of them holds no log.
    const p = store.keyPrefix;
    const found = await client.exists([`${p}:s:essential`, `${p}:time`, `${p}:holds`]);
    if (found === 0) {
      throw noAccessLog(
        `Redis at ${label} has no records under the prefix "${prefix ?? 'epl'}" (name it with --prefix)`,
      );
    }
    await store.init();
  } catch (err) {
    client.destroy();
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot open the Redis store at ${label}: ${message(err)}`);
  }
  return {
    store,
    label,
    close: async () => {
      await store.close();
      await client.close();
    },
  };
}
