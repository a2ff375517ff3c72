import { createHash, randomUUID } from 'node:crypto';
import type { AccessRecord } from '../../record.js';
import type { ConsentEvent, ConsentQuery } from '../consent-events.js';
import { normalizeDisclosure } from '../disclosure.js';
import { normalizeHold } from '../hold-scope.js';
import { type OwnedRedisClient, ownedRedisClient } from '../owned-connections.js';
import {
  emptyPurgeResult,
  normalizeAddress,
  STRIPPABLE_CATEGORIES,
  subjectValue,
} from '../retention.js';
import { parseSpillOptions, type SpillSettings, spillSettingsOf } from '../spill-options.js';
import type {
  Disclosure,
  EraseResult,
  Hold,
  PurgeResult,
  ReadQuery,
  Store,
  Subject,
} from '../store.js';
import { toWorkerConfig, type WorkerStoreConfig } from '../worker-config.js';
import { RedisConsents } from './consents.js';
import type { RedisLike, RedisStreamStoreOptions } from './options.js';
import {
  assemble,
  canonical,
  compareKeys,
  scriptScope,
  strings,
  timeKey,
  writeArgs,
} from './records.js';
import {
  COUNT_SCOPE_SCRIPT,
  ERASE_SCRIPT,
  PURGE_SCRIPT,
  READ_SCRIPT,
  WRITE_SCRIPT,
} from './scripts.js';

export type { RedisLike, RedisStreamStoreOptions } from './options.js';

const PREFIX = /^[A-Za-z0-9_.:-]{1,64}$/;
/** Records per script call: small enough that no call blocks Redis for long. */
const WRITE_CHUNK = 100;
const PAGE = 500;
const READ_CHUNK = 200;

interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const SCRIPTS = {
  write: script(WRITE_SCRIPT),
  read: script(READ_SCRIPT),
  purge: script(PURGE_SCRIPT),
  erase: script(ERASE_SCRIPT),
  countScope: script(COUNT_SCOPE_SCRIPT),
};

/**
 * Records in Redis Streams: one stream per data category, so that retention removes a category
 * by removing its stream entries (`XTRIM MINID` when the expired entries are the oldest, as they
 * are when retention runs in time order; `XDEL` for the rest), never by rewriting a record. A hash
 * per record and sorted sets by time, by expiry and by subject make `read`, `purge`, `erase` and
 * legal holds exact. Each write, purge page and erasure is one atomic Lua script; the scripts of
 * a batch go out pipelined, in one round trip.
 *
 * Redis keeps everything in memory: size it for the records the longest retention keeps (roughly
 * 1 KB per record with its indexes) and run it with persistence if records must survive a restart.
 */
export class RedisStreamStore implements Store {
  /** Name for stats and diagnostics. */
  readonly name: string;
  /** The key prefix, with its hash tag: every key starts with it. */
  readonly keyPrefix: string;
  readonly #client: RedisLike;
  readonly #consents: RedisConsents;
  /** The client the store made itself from a URL, and how. */
  readonly #owned: OwnedRedisClient | undefined;
  readonly #ownedConfig: Omit<RedisStreamStoreOptions, 'client'> | undefined;
  readonly #maxPending: number;
  #pending = 0;
  #closed = false;

  /** @param options see {@link RedisStreamStoreOptions}; no I/O happens here. */
  constructor(options: RedisStreamStoreOptions) {
    const { client: given, url, ...settings } = options ?? {};
    if ((given === undefined) === (typeof url !== 'string')) {
      throw new TypeError('RedisStreamStore: give exactly one of options.client and options.url');
    }
    if (url !== undefined) {
      this.#ownedConfig = { ...settings, url };
      this.#owned = ownedRedisClient(url, options.connectTimeoutMs ?? 5000);
    }
    const client = given ?? this.#owned;
    if (typeof client?.sendCommand !== 'function') {
      throw new TypeError('RedisStreamStore: options.client must be a connected node-redis client');
    }
    const prefix = options.prefix ?? 'epl';
    if (!PREFIX.test(prefix)) {
      throw new TypeError(
        `RedisStreamStore: prefix must match ${PREFIX}, got ${JSON.stringify(prefix)}`,
      );
    }
    this.#client = client;
    this.keyPrefix = `{${prefix}}`;
    this.#consents = new RedisConsents((args) => this.#send(args), this.keyPrefix);
    this.name = options.name ?? 'RedisStreamStore';
    const max = options.maxPendingRecords ?? 20_000;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(
        `RedisStreamStore: maxPendingRecords must be an integer >= 1, got ${max}`,
      );
    }
    this.#maxPending = max;
    this[spillSettingsOf] = parseSpillOptions(this.name, options.spill);
  }

  /** The validated `spill` option, read by the logger's delivery. */
  readonly [spillSettingsOf]: SpillSettings | undefined;

  /** Load the scripts into Redis. Rejects while the client is not connected. */
  async init(): Promise<void> {
    if (this.#closed) throw new Error(`${this.name}: init() after close()`);
    await this.#owned?.connect();
    this.#ready('init');
    for (const { source } of Object.values(SCRIPTS)) {
      await this.#client.sendCommand(['SCRIPT', 'LOAD', source]);
    }
  }

  /**
   * Store a batch: one script call per chunk of records, all sent at once (pipelined). Records
   * whose id is already stored are skipped. Fails at once, sending nothing, while the client is
   * not ready or too many records still wait for an answer.
   */
  async write(records: readonly AccessRecord[]): Promise<void> {
    this.#ready('write');
    if (records.length === 0) return;
    if (this.#pending + records.length > this.#maxPending) {
      throw Object.assign(
        new Error(`${this.name}: ${this.#pending} records still wait for Redis to answer`),
        { code: 'ERR_REDIS_BACKLOG' },
      );
    }
    const calls: Promise<unknown>[] = [];
    for (let start = 0; start < records.length; start += WRITE_CHUNK) {
      const args: string[] = [this.keyPrefix];
      for (const record of records.slice(start, start + WRITE_CHUNK))
        args.push(...writeArgs(record));
      calls.push(this.#eval(SCRIPTS.write, args));
    }
    this.#pending += records.length;
    try {
      await Promise.all(calls);
    } finally {
      this.#pending -= records.length;
    }
  }

  /** Iterate the records that match `query`, oldest first (by `time`, then `id`), at most `query.limit`. */
  async *read(query: ReadQuery = {}): AsyncGenerator<AccessRecord> {
    this.#ready('read');
    let remaining = query.limit ?? Number.POSITIVE_INFINITY;
    if (remaining <= 0) return;
    const from = query.from?.toISOString();
    const to = query.to?.toISOString();
    if (query.subject !== undefined && 'ip' in query.subject) {
      yield* this.#readByAddress(normalizeAddress(query.subject.ip), query);
      return;
    }
    if (query.subject !== undefined) {
      const key = this.#subjectKey(query.subject);
      if (key === undefined) return;
      const members = strings(await this.#send(['SMEMBERS', key]));
      const records = (await this.#fetch(members)).filter((record) => {
        const time = canonical(record.time);
        return (from === undefined || time >= from) && (to === undefined || time < to);
      });
      records.sort((a, b) => compareKeys(timeKey(a), timeKey(b)));
      yield* records.slice(0, Math.min(records.length, remaining));
      return;
    }
    let low = from === undefined ? '-' : `[${from}`;
    const high = to === undefined ? '+' : `(${to}`;
    while (remaining > 0) {
      const count = Math.min(PAGE, remaining);
      const members = strings(
        await this.#send([
          'ZRANGE',
          `${this.keyPrefix}:time`,
          low,
          high,
          'BYLEX',
          'LIMIT',
          '0',
          String(count),
        ]),
      );
      const ids = members.map((member) => member.slice(member.indexOf('|') + 1));
      for (const record of await this.#fetch(ids)) yield record;
      const last = members.at(-1);
      if (members.length < count || last === undefined) return;
      remaining -= members.length;
      low = `(${last}`;
    }
  }

  /**
   * Apply retention at `now`: delete records whose essential category expired, then strip each
   * other expired category, page by page; held records are skipped. Repeating it at the same
   * `now` reports zeros.
   */
  async purge(now: Date): Promise<PurgeResult> {
    this.#ready('purge');
    const result = emptyPurgeResult();
    for (const category of ['essential', ...STRIPPABLE_CATEGORIES] as const) {
      let offset = 0;
      for (;;) {
        const reply = (await this.#eval(SCRIPTS.purge, [
          this.keyPrefix,
          category,
          String(now.getTime()),
          String(offset),
          String(PAGE),
        ])) as number[];
        const [seen = 0, held = 0, done = 0, ...counts] = reply.map(Number);
        if (category === 'essential') {
          result.deleted += done;
          STRIPPABLE_CATEGORIES.forEach((c, i) => {
            result.removed[c] = (result.removed[c] ?? 0) + (counts[i] ?? 0);
          });
        } else {
          result.removed[category] = (result.removed[category] ?? 0) + done;
        }
        offset += held;
        if (seen < PAGE) break;
      }
    }
    const consents = await this.#consents.purge(now, await this.holds());
    if (consents > 0) result.consents = consents;
    return result;
  }

  /** Keep consent events (the consent ledger); an id stored already is rewritten as it was. */
  async writeConsents(events: readonly ConsentEvent[]): Promise<void> {
    this.#ready('writeConsents');
    await this.#consents.write(events);
  }

  /** The consent events that match `query`, oldest first. */
  async *readConsents(query: ConsentQuery = {}): AsyncGenerator<ConsentEvent> {
    this.#ready('readConsents');
    yield* await this.#consents.read(query);
  }

  /** Delete every record of `subject` not under legal hold; held ones are counted, not touched. */
  async erase(subject: Subject): Promise<EraseResult> {
    this.#ready('erase');
    if ('ip' in subject) return this.#eraseByAddress(normalizeAddress(subject.ip));
    const key = this.#subjectKey(subject);
    if (key === undefined) return { erased: 0, held: 0 };
    const [erased = 0, held = 0] = (
      (await this.#eval(SCRIPTS.erase, [this.keyPrefix, key])) as number[]
    ).map(Number);
    return { erased, held };
  }

  /**
   * The records of a client address. There is no index by address (every write would pay for
   * one, for a request that comes rarely): the time index is read through, page by page.
   */
  async *#readByAddress(address: string, query: ReadQuery): AsyncGenerator<AccessRecord> {
    if (address === '') return;
    let remaining = query.limit ?? Number.POSITIVE_INFINITY;
    const { from, to } = query;
    for await (const record of this.read({ ...(from ? { from } : {}), ...(to ? { to } : {}) })) {
      if (record.client?.ip !== address) continue;
      yield record;
      if (--remaining <= 0) return;
    }
  }

  /**
   * Erase by address: the matching ids go into a temporary set that the erase script reads as
   * it reads a subject index, so holds are checked and indexes cleaned the same way.
   */
  async #eraseByAddress(address: string): Promise<EraseResult> {
    const ids: string[] = [];
    for await (const record of this.#readByAddress(address, {})) ids.push(record.id);
    if (ids.length === 0) return { erased: 0, held: 0 };
    const key = `${this.keyPrefix}:tmp:${randomUUID()}`;
    try {
      await this.#send(['SADD', key, ...ids]);
      const [erased = 0, held = 0] = (
        (await this.#eval(SCRIPTS.erase, [this.keyPrefix, key])) as number[]
      ).map(Number);
      return { erased, held };
    } finally {
      await this.#send(['DEL', key]);
    }
  }

  /**
   * Place or replace a legal hold (kept in canonical form); returns how many stored records it
   * covers. Throws a TypeError for a malformed hold.
   */
  async hold(input: Hold): Promise<number> {
    const hold = normalizeHold(input);
    this.#ready('hold');
    const scope = JSON.stringify(scriptScope(hold.scope));
    const previous = await this.#send(['HGET', `${this.keyPrefix}:holds`, hold.id]);
    if (typeof previous === 'string') hold.createdAt = (JSON.parse(previous) as Hold).createdAt;
    await this.#send(['HSET', `${this.keyPrefix}:holds`, hold.id, JSON.stringify(hold)]);
    await this.#send(['HSET', `${this.keyPrefix}:hscope`, hold.id, scope]);
    return Number(await this.#eval(SCRIPTS.countScope, [this.keyPrefix, scope]));
  }

  /** Release a hold; returns whether it existed. */
  async release(holdId: string): Promise<boolean> {
    this.#ready('release');
    await this.#send(['HDEL', `${this.keyPrefix}:hscope`, holdId]);
    return Number(await this.#send(['HDEL', `${this.keyPrefix}:holds`, holdId])) > 0;
  }

  /** The holds in force, oldest first (by `createdAt`, then id). */
  async holds(): Promise<Hold[]> {
    this.#ready('holds');
    const values = strings(await this.#send(['HVALS', `${this.keyPrefix}:holds`]));
    return values
      .map((value) => JSON.parse(value) as Hold)
      .sort((a, b) => compareKeys(a.createdAt, b.createdAt) || compareKeys(a.id, b.id));
  }

  /**
   * Enter an evidence export in the disclosure register, a hash at `<prefix>:disclosures` that no
   * purge or erasure touches; an entry with the same id is kept as it was. It lasts as long as
   * the server keeps its data: run Redis with persistence (AOF) where the register matters.
   */
  async disclose(entry: Disclosure): Promise<void> {
    const next = normalizeDisclosure(entry);
    this.#ready('disclose');
    await this.#send(['HSETNX', `${this.keyPrefix}:disclosures`, next.id, JSON.stringify(next)]);
  }

  /** The disclosure register, oldest entry first. */
  async disclosures(): Promise<Disclosure[]> {
    this.#ready('disclosures');
    const values = strings(await this.#send(['HVALS', `${this.keyPrefix}:disclosures`]));
    return values
      .map((value) => JSON.parse(value) as Disclosure)
      .sort((a, b) => compareKeys(a.at, b.at) || compareKeys(a.id, b.id));
  }

  /** Stop accepting calls. A client given as `client` stays connected; one made from `url` closes. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#owned?.close();
  }

  /** Made from a URL, the store can be made again in the logger's worker thread. */
  [toWorkerConfig](): WorkerStoreConfig | undefined {
    const config = this.#ownedConfig;
    return config === undefined ? undefined : { kind: 'redis', options: { ...config } };
  }

  #subjectKey(subject: Subject): string | undefined {
    const { kind, value } = subjectValue(subject);
    if (value === '' || kind === 'ip') return undefined;
    return `${this.keyPrefix}:${kind === 'visitorId' ? 'v' : 'e'}:${value}`;
  }

  /** The records with these ids, in the given order; ids no longer stored are left out. */
  async #fetch(ids: readonly string[]): Promise<AccessRecord[]> {
    const chunks: Promise<unknown>[] = [];
    for (let start = 0; start < ids.length; start += READ_CHUNK) {
      chunks.push(
        this.#eval(SCRIPTS.read, [this.keyPrefix, ...ids.slice(start, start + READ_CHUNK)]),
      );
    }
    const records: AccessRecord[] = [];
    for (const reply of await Promise.all(chunks)) {
      for (const parts of reply as string[][]) {
        const record = assemble(parts);
        if (record !== undefined) records.push(record);
      }
    }
    return records;
  }

  /** EVALSHA, loading the script when Redis lost it (a restart, `SCRIPT FLUSH`). */
  async #eval(script: Script, args: string[]): Promise<unknown> {
    try {
      return await this.#send(['EVALSHA', script.sha, '0', ...args]);
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
      await this.#send(['SCRIPT', 'LOAD', script.source]);
      return this.#send(['EVALSHA', script.sha, '0', ...args]);
    }
  }

  #send(args: string[]): Promise<unknown> {
    this.#ready(args[0]!);
    return this.#client.sendCommand(args);
  }

  /** Refuse to queue commands on a client that is not connected: its offline queue has no bound. */
  #ready(method: string): void {
    if (this.#closed) throw new Error(`${this.name}: ${method}() after close()`);
    if (!this.#client.isReady) {
      throw Object.assign(new Error(`${this.name}: Redis is not connected (${method})`), {
        code: 'ERR_REDIS_NOT_READY',
      });
    }
  }
}
