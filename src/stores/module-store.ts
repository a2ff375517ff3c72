import { basename, extname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AccessRecord } from '../record.js';
import type { MaybePromise, Store } from './store.js';
import { type ModuleStoreSpec, toWorkerConfig, type WorkerStoreConfig } from './worker-config.js';

/** The methods a loaded store may have beyond `write`, copied onto the {@link ModuleStore}. */
const OPTIONAL_METHODS = [
  'purge',
  'read',
  'erase',
  'suppress',
  'hold',
  'release',
  'holds',
  'disclose',
  'disclosures',
  'writeConsents',
  'readConsents',
] as const;

/** True for `{ module: string, ... }`: a store to be loaded from a module. */
export function isModuleStoreSpec(value: unknown): value is ModuleStoreSpec {
  if (typeof value !== 'object' || value === null) return false;
  const spec = value as Partial<Record<keyof ModuleStoreSpec, unknown>>;
  return (
    typeof spec.module === 'string' &&
    spec.module !== '' &&
    typeof (value as { write?: unknown }).write !== 'function' &&
    (spec.export === undefined || typeof spec.export === 'string') &&
    (spec.name === undefined || typeof spec.name === 'string')
  );
}

/**
 * A store loaded from a module on first use (`init()`), pino-transport style. Until it has loaded,
 * only `write`, `init` and `close` exist: the optional methods (`purge`, `read`, `erase`, holds, the
 * disclosure register, the consent ledger) are
 * added once the loaded store shows it has them, so that capabilities stay derived from which
 * methods exist. In worker mode the module is loaded in the worker instead, from
 * {@link ModuleStoreSpec}.
 */
export class ModuleStore implements Store {
  readonly name: string;
  readonly spec: ModuleStoreSpec;
  #inner: Store | undefined;
  #loading: Promise<Store> | undefined;

  constructor(spec: ModuleStoreSpec) {
    this.spec = spec;
    this.name = spec.name ?? basename(spec.module, extname(spec.module));
  }

  /** Import the module and build the store once; a failed load is tried again on the next call. */
  load(): Promise<Store> {
    this.#loading ??= loadModuleStore(this.spec).then(
      (inner) => {
        this.#inner = inner;
        for (const method of OPTIONAL_METHODS) {
          const fn = inner[method];
          if (typeof fn === 'function')
            Object.defineProperty(this, method, { value: fn.bind(inner) });
        }
        return inner;
      },
      (err: unknown) => {
        this.#loading = undefined;
        throw err;
      },
    );
    return this.#loading;
  }

  async init(): Promise<void> {
    const inner = await this.load();
    await inner.init?.();
  }

  write(records: readonly AccessRecord[]): MaybePromise<void> {
    if (this.#inner === undefined) throw new Error(`${this.name}: write() before init()`);
    return this.#inner.write(records);
  }

  async close(): Promise<void> {
    await this.#inner?.close?.();
  }

  [toWorkerConfig](): WorkerStoreConfig {
    return { kind: 'module', options: this.spec };
  }
}

/** Import a module store's module and build the store it exports. */
export async function loadModuleStore(spec: ModuleStoreSpec): Promise<Store> {
  const imported = (await import(moduleUrl(spec.module))) as Record<string, unknown>;
  const name = spec.export ?? 'default';
  const exported = imported[name];
  if (typeof exported !== 'function') {
    throw new TypeError(`store module ${spec.module}: export "${name}" is not a class or function`);
  }
  const proto = (exported as { prototype?: { write?: unknown } }).prototype;
  const built: unknown =
    typeof proto?.write === 'function'
      ? new (exported as new (options: unknown) => unknown)(spec.options)
      : await (exported as (options: unknown) => unknown)(spec.options);
  if (typeof (built as { write?: unknown } | null)?.write !== 'function') {
    throw new TypeError(`store module ${spec.module}: "${name}" gave no store (no write method)`);
  }
  return built as Store;
}

/** Paths are taken from the working directory, as a command line would; names and URLs as given. */
function moduleUrl(specifier: string): string {
  if (specifier.startsWith('.') || isAbsolute(specifier)) {
    return pathToFileURL(resolve(process.cwd(), specifier)).href;
  }
  return specifier;
}
