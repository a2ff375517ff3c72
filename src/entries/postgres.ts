// `express-privacy-log/stores/postgres`: PostgreSQL through the optional peer `pg`. The pool and
// client types are the few methods the store calls, so any pg-compatible pool fits.
export {
  type PgClient,
  type PgPool,
  type PgResult,
  POSTGRES_SCHEMA_VERSION,
  type PostgresPurgeResult,
  PostgresStore,
  type PostgresStoreOptions,
} from '../stores/postgres/store.js';
export type { SpillOptions } from '../stores/spill-options.js';
