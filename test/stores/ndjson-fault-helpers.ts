import { Writable } from 'node:stream';
import { expect } from 'vitest';
import type { AccessRecord } from '../../src/record.js';

/** What an NDJSON log holds: its complete, parseable lines, and anything else (torn lines). */
export interface LogContent {
  records: AccessRecord[];
  /** Lines that are not a whole record: a torn write, or foreign text. Empty lines are not counted. */
  torn: string[];
  /** Whether the text ends in the middle of a line. */
  unterminated: boolean;
}

export function parseLog(text: string): LogContent {
  const records: AccessRecord[] = [];
  const torn: string[] = [];
  const lines = text.split('\n');
  const last = lines.pop()!;
  if (last !== '') torn.push(last);
  for (const line of lines) {
    if (line === '') continue;
    try {
      records.push(JSON.parse(line) as AccessRecord);
    } catch {
      torn.push(line);
    }
  }
  return { records, torn, unterminated: last !== '' };
}

/** Stats of one store, and the check that `accepted = written + dropped + buffered`. */
export interface StoreCounts {
  accepted: number;
  written: number;
  buffered: number;
  dropped: Record<string, number>;
  failures: number;
}

export function droppedTotal(counts: StoreCounts): number {
  return Object.values(counts.dropped).reduce((sum, n) => sum + n, 0);
}

export function expectAccounted(counts: StoreCounts): void {
  expect(counts.accepted, 'accepted = written + dropped + buffered').toBe(
    counts.written + droppedTotal(counts) + counts.buffered,
  );
}

/**
 * Every record counted written is in the log, once. Beyond them the log holds nothing, or, for a
 * stream that failed part-way through a batch (which cannot be taken back), fewer than
 * `partialBatch` lines of that batch.
 */
export function expectWrittenAreLogged(
  counts: StoreCounts,
  log: LogContent,
  partialBatch = 1,
): void {
  expect(log.records.length).toBeGreaterThanOrEqual(counts.written);
  expect(log.records.length - counts.written).toBeLessThan(partialBatch);
  expect(new Set(log.records.map((record) => record.id)).size).toBe(log.records.length);
}

/** Resolves with `value` once `promise` settles, or with `'too late'` after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'too late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'too late'>((resolve) => {
    timer = setTimeout(() => resolve('too late'), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A writable that records the largest number of bytes it ever held in its buffer (written to it
 * and not yet passed on), measured at every `write` call.
 */
export function trackBuffered<W extends Writable>(stream: W): W & { maxBuffered: number } {
  const tracked = stream as W & { maxBuffered: number };
  tracked.maxBuffered = 0;
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  (tracked as unknown as { write: (...args: unknown[]) => boolean }).write = (...args) => {
    const accepted = write(...args);
    tracked.maxBuffered = Math.max(tracked.maxBuffered, stream.writableLength);
    return accepted;
  };
  return tracked;
}

/** An ENOSPC error as Node's fs reports it. */
export function noSpace(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), {
    code: 'ENOSPC',
    errno: -28,
    syscall: 'write',
  });
}

/**
 * A disk behind a stream, as `fs.createWriteStream` sees one: once `capacity` bytes are used, a
 * write stores the part that fits and fails with ENOSPC, and the stream is destroyed.
 */
export class DiskStream extends Writable {
  content = '';
  constructor(public capacity: number) {
    super({ decodeStrings: false });
  }

  override _write(
    chunk: string | Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error) => void,
  ) {
    const text = chunk.toString();
    setImmediate(() => {
      const room = this.capacity - Buffer.byteLength(this.content);
      if (Buffer.byteLength(text) <= room) {
        this.content += text;
        callback();
        return;
      }
      this.content += Buffer.from(text).subarray(0, Math.max(0, room)).toString();
      callback(noSpace());
    });
  }
}
