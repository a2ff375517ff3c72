// `express-privacy-log/stores/ndjson`: one JSON line per record, to a file or a stream.
export { NdjsonStore, type NdjsonStoreOptions } from '../stores/ndjson/store.js';
