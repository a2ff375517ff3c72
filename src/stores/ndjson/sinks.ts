/**
 * Where an {@link NdjsonStore}'s lines go: a file it opened itself, or a stream the caller owns.
 * Both report a write as done only once the destination has taken every byte of it, and both make
 * sure a line never continues a fragment that a failed write left behind.
 */
import type { EventEmitter } from 'node:events';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The destination of whole NDJSON lines. */
export interface LineSink {
  /**
   * Append `text`, one or more whole lines. Resolves once the destination has taken all of it;
   * rejects when it has not, after removing what it can of the part that got through.
   */
  write(text: string): Promise<void>;
  /**
   * Release the destination. `stuck`: a write is still waiting for the destination, which is
   * then torn down (a stream destroyed) rather than left to keep the process alive.
   */
  close(stuck: boolean): Promise<void>;
}

/**
 * A file the store opened itself, for appending. A failed write is cut back off the file when
 * nothing else was appended meanwhile (the usual case: the file has one writer), so the file ends
 * on a complete line; otherwise the next write starts with a newline, and the fragment stays a
 * line of its own that readers skip.
 */
export class FileSink implements LineSink {
  readonly #handle: FileHandle;
  /** The file may end inside a line: start the next write on a fresh one. */
  #tornTail: boolean;

  private constructor(handle: FileHandle, tornTail: boolean) {
    this.#handle = handle;
    this.#tornTail = tornTail;
  }

  /** Open `path` for appending (creating its folders, and the file with `mode`). */
  static async open(path: string, mode: number): Promise<FileSink> {
    await mkdir(dirname(path), { recursive: true });
    // Readable too, to see whether an earlier writer (a crash, another program) left a torn line.
    const handle = await open(path, 'a+', mode);
    try {
      return new FileSink(handle, await endsInsideLine(handle));
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
  }

  async write(text: string): Promise<void> {
    const data = Buffer.from(this.#tornTail ? `\n${text}` : text, 'utf8');
    const start = (await this.#handle.stat()).size;
    let written = 0;
    try {
      while (written < data.length) {
        // A full disk takes part of a write, then refuses the rest with ENOSPC.
        const { bytesWritten } = await this.#handle.write(data, written, data.length - written);
        if (bytesWritten <= 0) throw new Error('the file took no bytes of the write');
        written += bytesWritten;
      }
    } catch (error) {
      if (written > 0) await this.#undo(start, written);
      throw error;
    }
    this.#tornTail = false;
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }

  /** Cut a failed write's bytes off the file, unless something else was appended since `start`. */
  async #undo(start: number, written: number): Promise<void> {
    try {
      if ((await this.#handle.stat()).size === start + written) {
        await this.#handle.truncate(start);
        return;
      }
    } catch {
      // The fragment stays; the next write starts on a fresh line.
    }
    this.#tornTail = true;
  }
}

async function endsInsideLine(handle: FileHandle): Promise<boolean> {
  const { size } = await handle.stat();
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  return last[0] !== 0x0a;
}

/**
 * A stream the caller owns, such as `process.stdout`. A write is done when the stream calls it
 * back, that is once the data has left the stream's buffer for the destination, and not before
 * the stream is below its high-water mark again, so that backpressure reaches the caller.
 *
 * What a stream passed on of a chunk it failed on cannot be taken back: a failed write may leave
 * a torn line at the destination. Node streams accept nothing after an error; for one that does,
 * the next write starts with a newline, so later lines are never glued to the fragment.
 */
export class StreamSink implements LineSink {
  readonly #stream: NodeJS.WritableStream;
  #tornTail = false;
  readonly #onError = (): void => {
    // Without a listener an 'error' event ends the process; the write callback reports it.
  };

  constructor(stream: NodeJS.WritableStream) {
    this.#stream = stream;
    stream.on('error', this.#onError);
  }

  async write(text: string): Promise<void> {
    const stream = this.#stream;
    throwIfDead(stream);
    if (needsDrain(stream)) await waitFor(stream, 'drain');
    try {
      await writeWithCallback(stream, this.#tornTail ? `\n${text}` : text);
    } catch (error) {
      this.#tornTail = true;
      throw error;
    }
    this.#tornTail = false;
    // Others may write to the same stream: resolve only once it can take more. The lines are
    // taken already, so a failure here is left for the next write to find.
    if (needsDrain(stream)) await waitFor(stream, 'drain').catch(() => {});
  }

  async close(stuck: boolean): Promise<void> {
    if (!stuck) {
      this.#stream.off('error', this.#onError);
      return;
    }
    // Its unwritten data is lost either way, and a stream that never drains can keep the process
    // alive. The error listener stays: the destroyed stream may still report an error.
    (this.#stream as { destroy?: () => void }).destroy?.();
  }
}

/** Write and resolve on the stream's callback; reject on an error or when it closes first. */
function writeWithCallback(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = (): void => reject(deadError(stream));
    stream.once('close', onClose);
    try {
      stream.write(text, (error?: Error | null) => {
        stream.off('close', onClose);
        if (error) reject(error);
        else resolve();
      });
    } catch (error) {
      stream.off('close', onClose);
      reject(error);
    }
  });
}

interface StreamState {
  destroyed?: boolean;
  writableEnded?: boolean;
  errored?: Error | null;
  writableNeedDrain?: boolean;
}

function deadError(stream: object): Error {
  const cause = (stream as StreamState).errored ?? undefined;
  return new Error(
    `the destination stream is closed${cause ? ` (${cause.message})` : ''}`,
    cause ? { cause } : undefined,
  );
}

/** Throw when the stream will never take a write again: destroyed, ended, or failed. */
function throwIfDead(stream: object): void {
  const state = stream as StreamState;
  if (state.destroyed === true || state.writableEnded === true || state.errored) {
    throw deadError(stream);
  }
}

/** Whether a Node stream reported backpressure that has not cleared yet. */
function needsDrain(stream: object): boolean {
  return (stream as StreamState).writableNeedDrain === true;
}

/**
 * Resolve on `event`; reject on `'error'` or `'close'`, so that a destroyed stream cannot leave a
 * caller waiting forever.
 */
function waitFor(emitter: EventEmitter | NodeJS.WritableStream, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      emitter.off(event, onEvent);
      emitter.off('error', onError);
      emitter.off('close', onClose);
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
      reject(deadError(emitter));
    };
    emitter.on(event, onEvent);
    emitter.on('error', onError);
    emitter.on('close', onClose);
  });
}
