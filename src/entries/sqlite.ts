// `express-privacy-log/stores/sqlite`: the embedded store. Its driver loads at the first init().
export {
  SQLITE_SCHEMA_VERSION,
  SqliteStore,
  type SqliteStoreOptions,
} from '../stores/sqlite/store.js';
