import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CliError } from './errors.js';

/** Text is gathered up to this many characters before it is written: one system call per chunk. */
const CHUNK_CHARS = 64 * 1024;

/**
 * An output file that only its owner can read, written whole or not at all. The text goes to a
 * new file beside the target, created exclusively (`O_EXCL`, so nothing planted at that name can
 * be written through) with mode 0600, and is renamed over the target once complete. The target
 * thus never keeps an earlier file's mode, owner or readers, a symlink at the target is replaced
 * rather than followed, and a failed export leaves the previous file as it was.
 */
export class PrivateFile {
  readonly #target: string;
  readonly #temporary: string;
  readonly #handle: FileHandle;
  #buffered = '';
  #settled = false;

  private constructor(target: string, temporary: string, handle: FileHandle) {
    this.#target = target;
    this.#temporary = temporary;
    this.#handle = handle;
  }

  /** Create the temporary file beside `target`; a {@link CliError} when that is not possible. */
  static async create(target: string): Promise<PrivateFile> {
    const temporary = join(
      dirname(target),
      `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`,
    );
    let handle: FileHandle;
    try {
      handle = await open(temporary, 'wx', 0o600);
    } catch (err) {
      throw new CliError(`cannot write ${target}: ${(err as Error).message}`);
    }
    const file = new PrivateFile(target, temporary, handle);
    // The mode given to open() is reduced by the umask, never raised: make it exactly 0600.
    await file.#guard(() => handle.chmod(0o600));
    return file;
  }

  /** Append text. */
  async write(text: string): Promise<void> {
    this.#buffered += text;
    if (this.#buffered.length >= CHUNK_CHARS) await this.#flush();
  }

  /** Write what is left, flush it to disk and put the file in place of the target. */
  async commit(): Promise<void> {
    await this.#flush();
    await this.#guard(async () => {
      await this.#handle.sync();
      await this.#handle.close();
      await rename(this.#temporary, this.#target);
    });
    this.#settled = true;
  }

  /** Remove the temporary file unless {@link commit} put it in place. Never throws. */
  async discard(): Promise<void> {
    if (this.#settled) return;
    this.#settled = true;
    await this.#handle.close().catch(() => {});
    await unlink(this.#temporary).catch(() => {});
  }

  async #flush(): Promise<void> {
    const text = this.#buffered;
    this.#buffered = '';
    if (text !== '') await this.#guard(() => this.#handle.writeFile(text, 'utf8'));
  }

  /** Run a file operation; a failure becomes a {@link CliError} naming the target, the file is removed. */
  async #guard(operation: () => Promise<unknown>): Promise<void> {
    try {
      await operation();
    } catch (err) {
      await this.discard();
      throw new CliError(`cannot write ${this.#target}: ${(err as Error).message}`);
    }
  }
}
