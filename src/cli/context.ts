import type { ProgressStream } from './progress.js';
import type { OpenedStore, StoreChoice } from './store-url.js';

/** Where the command line reads and writes: the process's streams, or a test's. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: ProgressStream;
  env: Readonly<Record<string, string | undefined>>;
}

/** What every command gets: output helpers, the clock and a way to open the store. */
export interface CommandContext {
  readonly io: CliIo;
  now(): Date;
  /** A line of the command's result, on standard output. */
  print(line: string): void;
  /** A line about what happened (not the result), on standard error. */
  info(line: string): void;
  /** Print a value as JSON on standard output; returns exit code 0. */
  printJson(value: unknown): number;
  /**
   * Open the store the options name (`--store`, default: the environment's
   * EXPRESS_PRIVACY_LOG_STORE, then `sqlite:./access-log.sqlite`; with `--table`, `--prefix` or
   * `--store-options`), run `body`, and close the store whatever happens. A store that holds no
   * access log fails, and none is created.
   */
  withStore<T>(choice: StoreChoice, body: (opened: OpenedStore) => Promise<T>): Promise<T>;
}
