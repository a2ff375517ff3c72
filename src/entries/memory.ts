// `express-privacy-log/stores/memory`: records in process memory, for tests and development.
export { MemoryStore, type MemoryStoreOptions } from '../stores/memory/store.js';
