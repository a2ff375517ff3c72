// A SqliteStore whose writes hang while a flag file exists, for the outage benchmark
// (bench/outage.js, scenario e): it stands in for a file system frozen under the database
// (`fsfreeze`), where a write blocks its thread until the thaw. It blocks synchronously
// (Atomics.wait), as a frozen write() system call does, so in-process it stops the serving thread
// and in worker mode only the worker. Loaded as `{ module, options: { path, freezeFile } }`, so
// that worker mode builds it in the worker.
import { existsSync } from 'node:fs';
import { SqliteStore } from 'express-privacy-log';

export default class HangingSqliteStore {
  #inner;
  #freezeFile;
  #sleeper = new Int32Array(new SharedArrayBuffer(4));

  /** @param {{ path: string, freezeFile: string }} options */
  constructor({ path, freezeFile }) {
    this.name = 'SqliteStore';
    this.#inner = new SqliteStore({ path });
    this.#freezeFile = freezeFile;
  }

  init() {
    return this.#inner.init();
  }

  write(records) {
    // One stat per batch, not per record: the check costs nothing next to the insert.
    while (existsSync(this.#freezeFile)) Atomics.wait(this.#sleeper, 0, 0, 20);
    return this.#inner.write(records);
  }

  close() {
    return this.#inner.close();
  }
}
