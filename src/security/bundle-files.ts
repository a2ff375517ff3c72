import { chmod, lstat, mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EvidenceError } from './evidence-error.js';

/** Refuse, before any work, a bundle directory that exists and holds anything. */
export async function assertEmptyDir(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new EvidenceError(`cannot use ${dir}: ${(err as Error).message}`);
  }
  if (entries.length > 0)
    throw new EvidenceError(
      `${dir} is not empty; an evidence bundle needs a new or empty directory`,
    );
}

/**
 * Write a bundle's files into `dir`: a new directory (mode 0700), or an existing empty one (made
 * 0700); never an existing directory with anything in it, so that no earlier bundle or other file
 * is overwritten or mixed in. Each file is created exclusively with mode 0600 and synced. On any
 * failure what was written is removed. Returns a function that removes the bundle again (for an
 * export whose entry in the register failed).
 */
export async function writeBundleDir(
  dir: string,
  files: ReadonlyMap<string, Buffer>,
): Promise<() => Promise<void>> {
  let created = false;
  try {
    const entries = await readdir(dir);
    if (entries.length > 0)
      throw new EvidenceError(
        `${dir} is not empty; an evidence bundle needs a new or empty directory`,
      );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (err instanceof EvidenceError) throw err;
      throw new EvidenceError(`cannot use ${dir}: ${(err as Error).message}`);
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    created = true;
  }
  const written: string[] = [];
  const remove = async (): Promise<void> => {
    for (const path of written) await rm(path, { force: true });
    if (created) await rm(dir, { recursive: true, force: true });
  };
  try {
    // The mode given to mkdir and open is reduced by the umask, never raised: set it exactly.
    await chmod(dir, 0o700);
    for (const [name, content] of files) {
      const path = join(dir, name);
      const handle = await open(path, 'wx', 0o600);
      written.push(path);
      try {
        await handle.chmod(0o600);
        await handle.writeFile(content);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  } catch (err) {
    await remove().catch(() => {});
    throw new EvidenceError(`cannot write the bundle in ${dir}: ${(err as Error).message}`);
  }
  return remove;
}

/** The largest file a bundle may hold: a verifier must not read a planted huge file into memory. */
const MAX_FILE = 512 * 1024 * 1024;

/** Every regular file of a bundle directory, by name. Anything else in it is an error. */
export async function readBundleDir(dir: string): Promise<Map<string, Buffer>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new EvidenceError(`cannot read the bundle ${dir}: ${(err as Error).message}`);
  }
  const files = new Map<string, Buffer>();
  for (const name of names.sort()) {
    const path = join(dir, name);
    const info = await lstat(path);
    if (!info.isFile()) throw new EvidenceError(`${name} in ${dir} is not a regular file`);
    if (info.size > MAX_FILE)
      throw new EvidenceError(`${name} in ${dir} is too large for a bundle`);
    files.set(name, await readFile(path));
  }
  return files;
}
