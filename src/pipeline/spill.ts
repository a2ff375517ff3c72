import {
  chmod,
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  stat,
  unlink,
} from 'node:fs/promises';
import { join } from 'node:path';
import type { AccessRecord } from '../record.js';
import type { ConsentEvent } from '../stores/consent-events.js';
import type { SpillSettings } from '../stores/spill-options.js';

/** One spill file: written whole, synced, then renamed into place, so it is never half there. */
interface Segment {
  readonly path: string;
  records: number;
  bytes: number;
  /** Push order of its first record; 0 for a file left by an earlier process (older than all). */
  readonly firstSeq: number;
  /** Settles once the file is synced and under its own name (never rejects). */
  readonly placed: Promise<void>;
}

/** A record read back from the spill, with the bytes it took there. */
export interface SpilledRecord {
  readonly record: AccessRecord;
  readonly size: number;
  readonly seq: number;
  /** The consent event that rode with the record, kept with it so the ledger loses nothing. */
  readonly consent?: ConsentEvent | undefined;
}

const NAME = /^spill-(\d{16})\.ndjson$/;
/**
 * A new file before its sync and rename: the record count in the name tells a whole file (the
 * process ended after writing it) from one cut short.
 */
const WRITTEN = /^(spill-\d{16}\.ndjson)\.(\d+)\.tmp$/;
const PLACED = Promise.resolve();

/** What {@link Spill.append} resolves with once the records are written. */
export interface Appended {
  /** Resolves once the file is synced and renamed into place; rejects on a file system error. */
  readonly synced: Promise<void>;
}

/**
 * The files of one store's spill: a queue on disk, oldest file first. Each file is one NDJSON
 * batch (one record per line), written to a temporary name that holds its record count, synced
 * and renamed, and the directory synced, so that a crash leaves whole files or none. Files left
 * by an earlier process are found by {@link open} and come first, and so does a temporary file
 * that it had written whole: the records were out of its memory, so a `kill -9` before the sync
 * must not lose them. Every file operation runs in turn, never two at once, except the syncs and
 * renames of new files: a sync can take seconds on a busy disk, and the next file must not wait
 * for it (the memory buffer fills meanwhile).
 */
export class Spill {
  readonly settings: SpillSettings;
  readonly #segments: Segment[] = [];
  /** Files taken for replay and not yet removed: their records are in the writer's memory. */
  readonly #taken = new Set<string>();
  #next = 0;
  #bytes = 0;
  #records = 0;
  #turn: Promise<unknown> = Promise.resolve();
  /** Files written and not yet synced and renamed. */
  readonly #placing = new Set<Promise<void>>();

  constructor(settings: SpillSettings) {
    this.settings = settings;
  }

  /** Records in the files now. */
  get records(): number {
    return this.#records;
  }

  /** Bytes in the files now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether `bytes` more fit under `maxBytes`. */
  fits(bytes: number): boolean {
    return this.#bytes + bytes <= this.settings.maxBytes;
  }

  /** Push order of the oldest record on disk; `Infinity` when there is none. */
  oldestSeq(): number {
    return this.#segments[0]?.firstSeq ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Make the directory (0700) and take the files an earlier process left, oldest first; resolves
   * with how many records they hold. Temporary files of an interrupted write are removed: their
   * records were still in that process's memory, never acknowledged as spilled.
   */
  open(): Promise<number> {
    return this.#run(async () => {
      const { dir } = this.settings;
      await mkdir(dir, { recursive: true, mode: 0o700 });
      // mkdir leaves an existing directory's mode alone, and the umask may have widened a new one.
      await chmod(dir, 0o700);
      let found = 0;
      const names = new Set(await readdir(dir));
      for (const name of [...names]) {
        if (!name.endsWith('.tmp')) continue;
        names.delete(name);
        const written = WRITTEN.exec(name);
        const path = join(dir, name);
        if (written !== null && !names.has(written[1]!)) {
          const text = await readFile(path, 'utf8');
          if (text.endsWith('\n') && countLines(text) === Number(written[2])) {
            // Written whole by a process that ended before its sync: place it now.
            await place(path, join(dir, written[1]!));
            names.add(written[1]!);
            continue;
          }
        }
        // Cut short (its records were still in that process's memory), or an erasure's rewrite.
        await unlink(path).catch(() => undefined);
      }
      for (const name of [...names].sort()) {
        const match = NAME.exec(name);
        if (match === null) continue;
        const path = join(dir, name);
        const text = await readFile(path, 'utf8');
        const records = countLines(text);
        const bytes = (await stat(path)).size;
        this.#segments.push({ path, records, bytes, firstSeq: 0, placed: PLACED });
        this.#records += records;
        this.#bytes += bytes;
        found += records;
        this.#next = Math.max(this.#next, Number(match[1]) + 1);
      }
      return found;
    });
  }

  /**
   * Write these records as one new file. Resolves once they are written (to a temporary file that
   * a later process takes if this one ends now), with `synced` for the sync and rename that follow
   * without holding up the next file. Rejects on a file system error, spilling nothing.
   */
  append(records: readonly SpilledRecord[]): Promise<Appended> {
    return this.#run(async () => {
      if (records.length === 0) return { synced: PLACED };
      const text = `${records.map(toLine).join('\n')}\n`;
      const bytes = Buffer.byteLength(text);
      const path = join(
        this.settings.dir,
        `spill-${String(this.#next++).padStart(16, '0')}.ndjson`,
      );
      const temporary = `${path}.${records.length}.tmp`;
      const file = await open(temporary, 'w', 0o600);
      try {
        await file.writeFile(text);
      } catch (err) {
        await file.close().catch(() => undefined);
        await unlink(temporary).catch(() => undefined);
        throw err;
      }
      const synced = syncAndPlace(file, temporary, path);
      const placed = synced.then(
        () => undefined,
        () => undefined,
      );
      this.#placing.add(placed);
      void placed.then(() => this.#placing.delete(placed));
      this.#segments.push({
        path,
        records: records.length,
        bytes,
        firstSeq: records[0]!.seq,
        placed,
      });
      this.#records += records.length;
      this.#bytes += bytes;
      return { synced };
    });
  }

  /** Resolves once every file written so far is synced and renamed into place (or failed to be). */
  async synced(): Promise<void> {
    await Promise.all([...this.#placing]);
  }

  /**
   * Take the oldest file off the queue and read it: its records, oldest first (a line that does
   * not parse, which only a damaged file has, is counted in `unreadable`). The file stays on disk
   * until {@link remove} is called with its path, so that a process that ends meanwhile replays it.
   */
  async take(): Promise<
    { path: string; records: SpilledRecord[]; unreadable: number; inherited: boolean } | undefined
  > {
    // Waited for here, not in turn: appends go on meanwhile. Only take() removes the head.
    await this.#segments[0]?.placed;
    return this.#run(async () => {
      const segment = this.#segments[0];
      if (segment === undefined) return undefined;
      const text = await readFile(segment.path, 'utf8').catch(() => '');
      // Only now, with no await left before the caller holds the records: the counters never
      // show them nowhere.
      this.#segments.shift();
      this.#records -= segment.records;
      this.#bytes -= segment.bytes;
      this.#taken.add(segment.path);
      const records: SpilledRecord[] = [];
      let unreadable = 0;
      for (const line of text.split('\n')) {
        if (line === '') continue;
        try {
          const { record, consent } = fromLine(line);
          const size = Buffer.byteLength(line) + 1;
          records.push(
            consent === undefined
              ? { record, size, seq: segment.firstSeq }
              : { record, size, seq: segment.firstSeq, consent },
          );
        } catch {
          unreadable++;
        }
      }
      // A file that changed under us (erased meanwhile) is read as it is now.
      unreadable += Math.max(0, segment.records - records.length - unreadable);
      return { path: segment.path, records, unreadable, inherited: segment.firstSeq === 0 };
    });
  }

  /** Delete a file whose records have all been written (or dropped). */
  remove(path: string): Promise<void> {
    this.#taken.delete(path);
    return this.#run(() => unlink(path).catch(() => undefined));
  }

  /**
   * Rewrite every file without the records `drop` selects (a file left empty is deleted); resolves
   * with how many records went. The rewrite goes through a synced temporary file and a rename.
   */
  erase(drop: (record: AccessRecord) => boolean): Promise<number> {
    return this.#run(async () => {
      // A file is rewritten under its own name: new files must be there first.
      await this.synced();
      let erased = 0;
      // A file being replayed is rewritten too (the caller filters its copy in memory), so that a
      // process ending before the replay is done does not bring the erased records back.
      for (const path of this.#taken) {
        const text = await readFile(path, 'utf8').catch(() => undefined);
        if (text === undefined) continue;
        const kept = text.split('\n').filter((line) => line !== '' && !dropsLine(line, drop));
        await writeWhole(path, kept.length === 0 ? '' : `${kept.join('\n')}\n`);
      }
      for (const segment of [...this.#segments]) {
        const text = await readFile(segment.path, 'utf8');
        const kept: string[] = [];
        for (const line of text.split('\n')) {
          if (line === '') continue;
          if (dropsLine(line, drop)) erased++;
          else kept.push(line);
        }
        const removed = segment.records - kept.length;
        if (removed === 0) continue;
        const next = kept.length === 0 ? '' : `${kept.join('\n')}\n`;
        const bytes = Buffer.byteLength(next);
        if (kept.length === 0) {
          await unlink(segment.path);
          this.#segments.splice(this.#segments.indexOf(segment), 1);
        } else {
          await writeWhole(segment.path, next);
        }
        this.#records -= removed;
        this.#bytes -= segment.bytes - bytes;
        segment.records = kept.length;
        segment.bytes = bytes;
      }
      return erased;
    });
  }

  #run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#turn.then(work);
    this.#turn = result.catch(() => undefined);
    return result;
  }
}

/**
 * One spilled record as a line: the record's JSON, or, when a consent event rode with it,
 * `{"record":…,"consent":…}` (a record always has `v`, the wrapper never does).
 */
function toLine(entry: SpilledRecord): string {
  return JSON.stringify(
    entry.consent === undefined ? entry.record : { record: entry.record, consent: entry.consent },
  );
}

/** Read a line written by {@link toLine}; throws on a line that holds neither form. */
function fromLine(line: string): { record: AccessRecord; consent?: ConsentEvent | undefined } {
  const value = JSON.parse(line) as unknown;
  if (typeof value !== 'object' || value === null) throw new TypeError('not a record');
  const wrapped = value as { v?: unknown; record?: unknown; consent?: ConsentEvent };
  if (wrapped.v === undefined && typeof wrapped.record === 'object' && wrapped.record !== null) {
    return { record: wrapped.record as AccessRecord, consent: wrapped.consent };
  }
  return { record: value as AccessRecord };
}

function dropsLine(line: string, drop: (record: AccessRecord) => boolean): boolean {
  try {
    return drop(fromLine(line).record);
  } catch {
    return false;
  }
}

function countLines(text: string): number {
  let lines = 0;
  for (const line of text.split('\n')) if (line !== '') lines++;
  return lines;
}

/** Write a file whole: a 0600 temporary file, synced, renamed over `path`, the directory synced. */
async function writeWhole(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w', 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  await syncDir(path);
}

/** Sync a temporary file and rename it to `path` (the directory synced too). */
async function place(temporary: string, path: string): Promise<void> {
  await syncAndPlace(await open(temporary, 'r+'), temporary, path);
}

/** Sync and close an open temporary file, then rename it to `path` and sync the directory. */
async function syncAndPlace(file: FileHandle, temporary: string, path: string): Promise<void> {
  try {
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  await syncDir(path);
}

/** Sync the directory of `path`, so that a rename in it lasts. */
async function syncDir(path: string): Promise<void> {
  const dir = await open(join(path, '..'), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
