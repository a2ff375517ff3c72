/**
 * How a store describes itself to the logger's worker thread. A store that can be rebuilt from plain
 * data (a file path, a connection string, a URL) returns that data from a method under this symbol;
 * the worker then builds its own instance and writes there, off the thread that serves requests. A
 * store that holds live objects of the app (a `pg.Pool` it was given, a connected client, records
 * the app reads from memory) returns `undefined` and stays on the serving thread.
 *
 * A registered symbol, so that two copies of the package (compiled and source, or two versions)
 * recognise each other's stores.
 */
export const toWorkerConfig: unique symbol = Symbol.for('express-privacy-log.toWorkerConfig');

/** The built-in stores the worker knows how to build, by kind. */
export type BuiltInStoreKind = 'sqlite' | 'postgres' | 'redis';

/**
 * A store as plain data: structured-cloneable, rebuilt in the worker as
 * `new <Store of kind>(options)` (or, for `module`, loaded from the module).
 */
export type WorkerStoreConfig =
  | { readonly kind: BuiltInStoreKind; readonly options: Readonly<Record<string, unknown>> }
  | { readonly kind: 'module'; readonly options: ModuleStoreSpec };

/**
 * A store loaded from a module, the way pino loads a transport: `{ module: './audit-store.js',
 * options: { ... } }`. The export (default `default`) is a class, built with `new` and `options`,
 * or a factory `(options) => store`, awaited. `options` must be plain data (structured-cloneable):
 * in worker mode the module is loaded in the worker.
 */
export interface ModuleStoreSpec {
  /** A package name, a file URL, or a path; a relative path is resolved from the working directory. */
  readonly module: string;
  /** Handed to the export. */
  readonly options?: unknown;
  /** The export to use. Default `'default'`. */
  readonly export?: string;
  /** Name for stats and diagnostics. Default: the module's file name without its extension. */
  readonly name?: string;
}

/** A store's description for the worker, or undefined when it must stay where it is. */
export function workerConfigOf(store: unknown): WorkerStoreConfig | undefined {
  if (typeof store !== 'object' || store === null) return undefined;
  const describe = (store as { [toWorkerConfig]?: unknown })[toWorkerConfig];
  if (typeof describe !== 'function') return undefined;
  try {
    const config: unknown = describe.call(store);
    return isConfig(config) ? config : undefined;
  } catch {
    // A store that cannot describe itself keeps working where it is.
    return undefined;
  }
}

function isConfig(value: unknown): value is WorkerStoreConfig {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, options } = value as { kind?: unknown; options?: unknown };
  return (
    (kind === 'sqlite' || kind === 'postgres' || kind === 'redis' || kind === 'module') &&
    typeof options === 'object' &&
    options !== null
  );
}
