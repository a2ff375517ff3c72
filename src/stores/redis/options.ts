import type { SpillOptions } from '../spill-options.js';

/**
 * A connected Redis client the caller owns: the part of node-redis's client the store uses.
 * Create it with `disableOfflineQueue: true`, so that commands fail rather than queue without
 * bound while Redis is away (the store also refuses to send while `isReady` is false, which
 * covers pipelines that option does not).
 */
export interface RedisLike {
  readonly isReady: boolean;
  sendCommand(args: string[]): Promise<unknown>;
}

/** Options of {@link RedisStreamStore}. */
export interface RedisStreamStoreOptions {
  /** A connected node-redis 6 client (`createClient(...).connect()`), owned by the caller. Or give `url`. */
  client?: RedisLike;
  /**
   * A Redis URL: the store makes its own client (node-redis loaded on first use, connected by
   * `init()`, closed by `close()`). Being plain data, it lets the logger's worker thread open the
   * store there.
   */
  url?: string;
  /** With `url`: longest wait in ms for a connection. Default 5000. */
  connectTimeoutMs?: number;
  /** Prefix of every key, inside a `{...}` hash tag. Letters, digits, `_`, `-`, `.`, `:`. Default `'epl'`. */
  prefix?: string;
  /** Name for stats and diagnostics. Default `'RedisStreamStore'`. */
  name?: string;
  /**
   * Records sent to Redis and not yet answered, beyond which `write` fails at once instead of
   * queueing more: a Redis that stops answering (without closing the connection) cannot make the
   * client's queue grow. Default 20 000.
   */
  maxPendingRecords?: number;
  /**
   * A disk spill for outages: while the server is down and the logger's memory buffer for this
   * store is half full, batches go to files in `dir` (0600, in a 0700 directory), replayed in
   * order once it answers again, also by the next process. Spilled records are personal data:
   * retention and erasure apply to them. See docs/delivery.md. Default: no spill.
   */
  spill?: SpillOptions;
}
