import { loadModuleStore } from '../stores/module-store.js';
import type { Store } from '../stores/store.js';
import { CliError, UsageError } from './errors.js';
import { message, type OpenedStore, type StoreTarget } from './store-url.js';

/**
 * A plugin store from `module:<path or package>[#export]`: the export (default `default`) is a
 * class, built with `new Export(options)`, or a factory `(options) => store`, awaited. `options`
 * is the JSON of `--store-options` (undefined without it). The store's `init()` runs before the
 * command and `close()` after it; which commands work follows from the methods it has.
 */
export async function openModuleStore({ url, label, options }: StoreTarget): Promise<OpenedStore> {
  const spec = url.slice('module:'.length);
  const hash = spec.lastIndexOf('#');
  const module = hash > 0 ? spec.slice(0, hash) : spec;
  const exported = hash > 0 ? spec.slice(hash + 1) : undefined;
  if (module === '' || exported === '') {
    throw new UsageError(
      `the store URL "${label}" names no module; use module:./my-store.js or module:./my-store.js#MyStore`,
    );
  }
  let store: Store;
  try {
    store = await loadModuleStore({
      module,
      ...(exported === undefined ? {} : { export: exported }),
      ...(options === undefined ? {} : { options }),
    });
  } catch (err) {
    throw new CliError(`cannot load the store module ${module}: ${message(err)}`);
  }
  try {
    await store.init?.();
  } catch (err) {
    await Promise.resolve(store.close?.()).catch(() => {});
    throw new CliError(`cannot open the store from ${module}: ${message(err)}`);
  }
  return {
    store,
    label,
    close: async () => {
      await store.close?.();
    },
  };
}
