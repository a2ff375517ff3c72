// `express-privacy-log/stores/redis`: a Redis stream through the optional peer `redis`.
export {
  type RedisLike,
  RedisStreamStore,
  type RedisStreamStoreOptions,
} from '../stores/redis/store.js';
export type { SpillOptions } from '../stores/spill-options.js';
