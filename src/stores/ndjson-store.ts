import type { EventEmitter } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import type { AccessRecord } from '../record.js';
import { ErasureLedger } from './erasure-ledger.js';
import { matchesQuery } from './retention.js';
import type { ReadQuery, Store, Subject } from './store.js';

/** The SonicBoom that `pino.destination()` returns; its type is not exported under a stable name. */
type SonicBoom = ReturnType<typeof pino.destination>;

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
}

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
 * An append-only newline-delimited JSON log: one record per line, to a file (through pino's
 * SonicBoom destination, asynchronous and buffered) or to a stream such as `process.stdout`.
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
  /** The caller's stream, or the SonicBoom once the file is open. */
  #stream: SonicBoom | NodeJS.WritableStream | undefined;
  #opening: Promise<void> | undefined;
  readonly #dedupeWindow: number;
  readonly #recentIds = new Set<string>();
  #unflushed = false;
  #closed = false;
  /** An asynchronous stream error not yet reported to a caller. */
  #failure: Error | undefined;
  /** An error came after the last 'drain': waiting for one could take forever. */
  #stalled = false;
  /** One wait for 'drain' shared by concurrent writers, so listeners do not pile up per write. */
  #drain: Promise<void> | undefined;
  readonly #onError = (error: Error): void => {
    this.#failure = error;
    this.#stalled = true;
  };

  /** @param options see {@link NdjsonStoreOptions}; `destination` is required. No I/O happens here. */
  constructor(options: NdjsonStoreOptions) {
    this.name = options.name ?? 'NdjsonStore';
    this.#dedupeWindow = Math.max(0, options.dedupeWindow ?? DEFAULT_DEDUPE_WINDOW);
    this.#mode = options.mode ?? 0o600;
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
      this.#stream = destination;
      // Without a listener an 'error' event throws and ends the process; a logging failure must not.
      destination.on('error', this.#onError);
    }
  }

  /**
   * Open the file (creating its folders) and resolve once it is ready; for a stream, resolve at
   * once. Rejects when the file cannot be opened; the next call (or `write`) tries again. `write`
   * opens the file too if `init` was skipped.
   */
  async init(): Promise<void> {
    if (this.#path === undefined) return this.#throwFailure();
    // A failed open is forgotten so that a later call tries again: the cause may be passing.
    this.#opening ??= this.#open(this.#path).catch((error: unknown) => {
      this.#opening = undefined;
      throw error;
    });
    await this.#opening;
  }

  /**
   * Append a batch, one line per record. Records whose id was written recently (see
   * `dedupeWindow`) are skipped. Resolves once the lines are handed to the destination, after
   * waiting for `'drain'` when it signals backpressure; a file's lines reach the disk
   * asynchronously, and `close()` waits for them.
   */
  async write(records: readonly AccessRecord[]): Promise<void> {
    if (this.#closed) throw new Error(`${this.name}: write() after close()`);
    if (this.#stream === undefined) await this.init();
    this.#throwFailure();
    const stream = this.#stream!;
    let text = '';
    for (const record of records) {
      if (this.#recentIds.has(record.id)) continue;
      text += toNdjsonLine(record);
      this.#remember(record.id);
    }
    if (text === '') return;
    if (this.#path === undefined && isFinished(stream)) {
      // A destroyed stream neither drains nor emits again: waiting on it would never end.
      throw new Error(`${this.name}: the destination stream is closed`);
    }
    if (this.#path !== undefined) this.#unflushed = true;
    if (stream.write(text)) return;
    try {
      this.#drain ??= waitFor(stream, 'drain').finally(() => {
        this.#drain = undefined;
      });
      await this.#drain;
    } catch (error) {
      if (error === this.#failure) this.#failure = undefined; // reported here, not again
      throw error;
    }
  }

  /**
   * Flush and close the file, or, for a stream the caller owns, only wait until it has drained:
   * the stream is left open. Calling it again does nothing.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#path === undefined) {
      const stream = this.#stream!;
      try {
        if (needsDrain(stream)) await waitFor(stream, 'drain');
      } finally {
        stream.off('error', this.#onError);
      }
      return;
    }
    if (this.#opening === undefined) return;
    try {
      await this.#opening;
    } catch {
      return; // nothing was opened, so nothing is left to flush
    }
    const sonic = this.#stream as SonicBoom;
    const closed = waitFor(sonic, 'close');
    sonic.end();
    await closed;
  }

  async #open(path: string): Promise<void> {
    // Opening the file here first surfaces a bad path as a rejection, before SonicBoom exists: a
    // SonicBoom that never opens makes pino's exit hook throw. It also applies the private mode.
    await mkdir(dirname(path), { recursive: true });
    await (await open(path, 'a', this.#mode)).close();
    const sonic = pino.destination({
      dest: path,
      sync: false,
      mkdir: true,
      append: true,
      mode: this.#mode,
    });
    sonic.on('error', this.#onError);
    // SonicBoom emits 'drain' once its buffer is fully written, after every write in async mode.
    sonic.on('drain', () => {
      this.#unflushed = false;
      this.#stalled = false;
    });
    try {
      await waitFor(sonic, 'ready');
    } catch (error) {
      // pino flushes every unclosed destination at exit, which throws for one that never opened;
      // marked destroyed, it is skipped there.
      (sonic as unknown as { destroyed: boolean }).destroyed = true;
      throw error;
    }
    this.#stream = sonic;
  }

  async *#readFile(path: string, query: ReadQuery): AsyncGenerator<AccessRecord> {
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return;
    // Lines still in SonicBoom's buffer belong to the log already: read after they are written.
    const stream = this.#stream;
    if (stream !== undefined && this.#unflushed && !this.#stalled && !this.#closed) {
      await waitFor(stream, 'drain');
    }
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

  /** Report a stored asynchronous error once, to the next caller, so a retry can proceed. */
  #throwFailure(): void {
    const failure = this.#failure;
    if (failure === undefined) return;
    this.#failure = undefined;
    throw failure;
  }
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

/** Whether a Node stream was destroyed or ended, so that it will never accept a write again. */
function isFinished(stream: object): boolean {
  const state = stream as { destroyed?: boolean; writableEnded?: boolean };
  return state.destroyed === true || state.writableEnded === true;
}

/** Whether a Node stream reported backpressure that has not cleared yet. */
function needsDrain(stream: object): boolean {
  return (stream as { writableNeedDrain?: boolean }).writableNeedDrain === true;
}

/**
 * Resolve on `event`; reject on `'error'`, and on `'close'` when waiting for something else, so
 * that a destroyed stream cannot leave a caller waiting forever.
 */
function waitFor(emitter: EventEmitter | NodeJS.WritableStream, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      emitter.off(event, onEvent);
      emitter.off('error', onError);
      if (event !== 'close') emitter.off('close', onClose);
    };
    const onEvent = (): void => {
      cleanup();
      resolve();
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error(`stream closed while waiting for '${event}'`));
    };
    emitter.on(event, onEvent);
    emitter.on('error', onError);
    if (event !== 'close') emitter.on('close', onClose);
  });
}
