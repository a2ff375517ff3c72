import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { AccessRecord } from '../../record.js';
import { ErasureLedger } from '../erasure-ledger.js';
import { matchesQuery } from '../retention.js';
import type { ReadQuery, Store, Subject } from '../store.js';
import { WriteTurns } from '../write-turns.js';
import { FileSink, type LineSink, StreamSink } from './sinks.js';

/** Default size of the window of recently written ids that {@link NdjsonStore} deduplicates. */
export const DEFAULT_DEDUPE_WINDOW = 100_000;

/** Options of {@link NdjsonStore}. */
export interface NdjsonStoreOptions {
  /**
   * A file path, appended to (parent folders are created), or a writable stream the caller owns,
   * such as `process.stdout`. Only a path can be read back.
   */
  destination: string | NodeJS.WritableStream;
  /** Name for stats and diagnostics. Default `'NdjsonStore'`. */
  name?: string;
  /**
   * How many of the most recently written ids are remembered to drop a retried batch's duplicates.
   * Default {@link DEFAULT_DEDUPE_WINDOW} (100,000 ids, roughly 10 MB). A record retried after more
   * than this many newer records can be written twice; readers should deduplicate by `id`.
   */
  dedupeWindow?: number;
  /** File mode when a path is created. Default `0o600`: the log holds personal data. */
  mode?: number;
  /**
   * How long, in ms, a write waits for an earlier one that the destination has not finished
   * taking; then it fails (and the logger retries it later) instead of queueing behind a
   * destination that stopped answering. Default {@link DEFAULT_STALL_TIMEOUT_MS} (10 s).
   */
  stallTimeoutMs?: number;
  /**
   * How long, in ms, `close()` waits for a write the destination has not finished taking. Then a
   * stream is destroyed (its unwritten lines are lost either way, and it could keep the process
   * alive) and `close()` resolves. Default {@link DEFAULT_CLOSE_TIMEOUT_MS} (5 s).
   */
  closeTimeoutMs?: number;
}

/** Default of {@link NdjsonStoreOptions.stallTimeoutMs}. */
export const DEFAULT_STALL_TIMEOUT_MS = 10_000;

/** Default of {@link NdjsonStoreOptions.closeTimeoutMs}. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;

/**
 * Characters that `JSON.stringify` leaves raw but that some line readers treat as line breaks or
 * terminals treat as controls: DEL, the C1 controls (U+0085 is NEL) and U+2028/U+2029. They only
 * ever occur inside JSON strings, where an escape such as `\u2028` means the same character.
 */
const UNSAFE_IN_LINE = /[\u007f-\u009f\u2028\u2029]/g;

function escapeChar(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** One record as one NDJSON line (with its `\n`) that no reader can split or forge. */
export function toNdjsonLine(record: AccessRecord): string {
  return `${JSON.stringify(record).replace(UNSAFE_IN_LINE, escapeChar)}\n`;
}

/**
 * An append-only newline-delimited JSON log: one record per line, to a file or to a stream such
 * as `process.stdout`.
 *
 * A record counts as written only once the destination has taken its line: `write` resolves when
 * the file write has returned every byte (the data is in the operating system's hands: it
 * survives the process, not a power cut, as there is no fsync), or when the stream has called the
 * write back and is below its high-water mark. One write runs at a time, so a slow destination
 * slows the logger's queue, which is bounded, rather than filling memory. A write that fails
 * leaves no record behind as written: its ids are not remembered, and a file the store opened is
 * cut back to its last complete line.
 *
 * It has no `purge` or `erase`: an append-only log cannot forget one line. Retention for NDJSON is
 * the job of log rotation (for example logrotate with `maxage` equal to the shortest category
 * retention in the policy), and erasure requests must be honoured by the rotation window. Use a
 * store with `purge` (SQLite, PostgreSQL) where records must outlive their least-retained category.
 *
 * `read` exists only when the destination is a path; it returns records in file order, which is
 * write order and close to, but not strictly, time order.
 */
export class NdjsonStore implements Store {
  /** Name for stats and diagnostics. */
  readonly name: string;
  /**
   * Iterate the records in the file that match `query`, in file order, at most `query.limit`.
   * Unparseable lines (a torn last line, foreign text) are skipped. Absent when the destination
   * is a stream, so that callers can tell the store cannot be read.
   */
  declare readonly read?: (query: ReadQuery) => AsyncGenerator<AccessRecord>;

  /**
   * Record an erasure this log cannot carry out, in the sidecar `<path>.erasures`: `read` no
   * longer serves the records of `subject` written up to `at`; the lines stay in the file until
   * it is rotated or deleted (this store does not rotate it). Absent for a stream destination,
   * which cannot be read anyway.
   */
  declare readonly suppress?: (subject: Subject, at: Date) => Promise<void>;

  readonly #path: string | undefined;
  readonly #mode: number;
  #ledger: ErasureLedger | undefined;
  #sink: LineSink | undefined;
  #opening: Promise<LineSink> | undefined;
  readonly #dedupeWindow: number;
  /** Ids of records the destination has taken, oldest first. */
  readonly #recentIds = new Set<string>();
  readonly #turns = new WriteTurns();
  readonly #stallTimeoutMs: number;
  readonly #closeTimeoutMs: number;
  #closing: Promise<void> | undefined;

  /** @param options see {@link NdjsonStoreOptions}; `destination` is required. No I/O happens here. */
  constructor(options: NdjsonStoreOptions) {
    this.name = options.name ?? 'NdjsonStore';
    this.#dedupeWindow = Math.max(0, options.dedupeWindow ?? DEFAULT_DEDUPE_WINDOW);
    this.#mode = options.mode ?? 0o600;
    this.#stallTimeoutMs = Math.max(0, options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS);
    this.#closeTimeoutMs = Math.max(0, options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
    const { destination } = options;
    if (typeof destination === 'string') {
      if (destination === '') throw new TypeError('NdjsonStore: destination must not be empty');
      this.#path = destination;
      this.read = (query) => this.#readFile(destination, query);
      const ledger = new ErasureLedger(`${destination}.erasures`, this.#mode);
      this.#ledger = ledger;
      this.suppress = (subject, at) => ledger.add(subject, at);
    } else {
      this.#path = undefined;
      // Listens for 'error' at once: without a listener an error event ends the process.
      this.#sink = new StreamSink(destination);
    }
  }

  /**
   * Open the file (creating its folders) and resolve once it is ready; for a stream, resolve at
   * once. Rejects when the file cannot be opened; the next call (or `write`) tries again. `write`
   * opens the file too if `init` was skipped.
   */
  async init(): Promise<void> {
    await this.#open();
  }

  /**
   * Append a batch, one line per record. Records whose id was written recently (see
   * `dedupeWindow`) are skipped. Resolves once the destination has taken every line; rejects
   * when it has not, and then none of the batch counts as written: a retry writes again what did
   * not arrive. Waits for an earlier write still in progress, at most `stallTimeoutMs`.
   */
  async write(records: readonly AccessRecord[]): Promise<void> {
    if (this.#closing !== undefined) throw new Error(`${this.name}: write() after close()`);
    const sink = await this.#open();
    const release = await this.#turns.take(
      this.#stallTimeoutMs,
      () =>
        new Error(
          `${this.name}: the destination has not taken the previous write within ${this.#stallTimeoutMs} ms`,
        ),
    );
    try {
      if (this.#closing !== undefined) throw new Error(`${this.name}: write() after close()`);
      // Alone now: every earlier write has settled, so the window holds exactly what arrived.
      const ids = new Set<string>();
      let text = '';
      for (const record of records) {
        if (this.#recentIds.has(record.id) || ids.has(record.id)) continue;
        ids.add(record.id);
        text += toNdjsonLine(record);
      }
      if (text === '') return;
      await sink.write(text);
      for (const id of ids) this.#remember(id);
    } finally {
      release();
    }
  }

  /**
   * Wait for a write in progress (at most `closeTimeoutMs`), then close the file; a stream the
   * caller owns is left open, unless it was still holding a write at the deadline: then it is
   * destroyed. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const opening = this.#opening;
    if (this.#sink === undefined && opening === undefined) return;
    let sink: LineSink;
    try {
      sink = this.#sink ?? (await opening!);
    } catch {
      return; // nothing was opened, so nothing is left to close
    }
    let release: (() => void) | undefined;
    try {
      release = await this.#turns.take(this.#closeTimeoutMs, () => new Error('stuck'));
    } catch {
      // A write is still waiting for the destination.
    }
    const closing = sink.close(release === undefined);
    release?.();
    if (release !== undefined) return closing;
    // A file write stuck in the kernel keeps its handle until it returns: do not wait for it.
    closing.catch(() => {});
    await Promise.race([closing, delay(this.#closeTimeoutMs)]);
  }

  /** The sink, opening the file on first use. A failed open is retried by the next call. */
  #open(): Promise<LineSink> {
    if (this.#sink !== undefined) return Promise.resolve(this.#sink);
    const path = this.#path!;
    this.#opening ??= FileSink.open(path, this.#mode).then(
      (sink) => {
        this.#sink = sink;
        return sink;
      },
      (error: unknown) => {
        // Forgotten so that a later call tries again: the cause may be passing.
        this.#opening = undefined;
        throw error;
      },
    );
    return this.#opening;
  }

  async *#readFile(path: string, query: ReadQuery): AsyncGenerator<AccessRecord> {
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return;
    const input = createReadStream(path, { encoding: 'utf8' });
    const opened = new Promise<boolean>((resolve, reject) => {
      input.once('ready', () => resolve(true));
      input.once('error', (error: NodeJS.ErrnoException) =>
        error.code === 'ENOENT' ? resolve(false) : reject(error),
      );
    });
    if (!(await opened)) {
      input.destroy();
      return;
    }
    await this.#ledger?.load();
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    let yielded = 0;
    try {
      for await (const line of lines) {
        const record = parseLine(line);
        if (record === undefined || !matchesQuery(record, query)) continue;
        if (this.#ledger?.covers(record) === true) continue;
        yield record;
        if (++yielded >= limit) return;
      }
    } finally {
      lines.close();
      input.destroy();
    }
  }

  #remember(id: string): void {
    if (this.#dedupeWindow === 0) return;
    this.#recentIds.add(id);
    if (this.#recentIds.size > this.#dedupeWindow) {
      // A Set iterates in insertion order: the first id is the oldest one.
      const oldest = this.#recentIds.values().next();
      if (oldest.done !== true) this.#recentIds.delete(oldest.value);
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** A line's record, or `undefined` when the line is not a version-1 record. */
function parseLine(line: string): AccessRecord | undefined {
  if (line.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const candidate = value as Partial<AccessRecord>;
  if (candidate.v !== 1 || typeof candidate.id !== 'string' || typeof candidate.time !== 'string') {
    return undefined;
  }
  return candidate as AccessRecord;
}
