import type { DiagnosticLogger } from '../logger.js';
import type { Store } from '../stores/store.js';
import type { PendingCalls } from './calls.js';
import { cloneableDetails } from './errors.js';
import type { FromWorker, RelayMethod } from './protocol.js';

/**
 * What the worker reaches on the serving thread: stores that hold the app's live objects and the
 * app's diagnostic logger (the app's lookup functions are in lookup-batches.ts). Each is a message
 * and, where an answer matters, a call that the serving thread answers.
 */

/** Posts a message to the serving thread. */
export type PostToMain = (message: FromWorker) => void;

/**
 * A store that stays on the serving thread, as the worker's dispatcher sees it: its batches are
 * sent over and written there, and the answer (or the error) comes back, so that batching,
 * retries, timeouts and counting work as for any store.
 */
export function relayStore(
  name: string,
  index: number,
  methods: readonly RelayMethod[],
  calls: PendingCalls,
  post: PostToMain,
): Store {
  const call = (method: RelayMethod, records?: readonly unknown[], json?: string) =>
    calls.start((id) =>
      post(
        json === undefined
          ? { t: 'relay', id, index, method, records }
          : { t: 'relay', id, index, method, records: undefined, json },
      ),
    );
  // A store that takes JSON text gets one string per batch: the serialising happens here, in the
  // worker, and the serving thread receives a single string instead of an object per record.
  const json = methods.includes('writeJson');
  const store: Store = {
    name,
    write: async (records) => {
      if (json) await call('writeJson', undefined, JSON.stringify(records));
      else await call('write', records);
    },
  };
  if (methods.includes('init')) {
    store.init = async () => {
      await call('init');
    };
  }
  if (methods.includes('writeConsents')) {
    store.writeConsents = async (events) => {
      await call('writeConsents', events);
    };
  }
  if (methods.includes('close')) {
    store.close = async () => {
      await call('close');
    };
  }
  return store;
}

/** A diagnostic logger whose lines are written by the app's logger on the serving thread. */
export function relayLogger(post: PostToMain): DiagnosticLogger {
  const send = (level: 'error' | 'warn' | 'info', details: object, message: string): void => {
    post({ t: 'log', level, details: cloneableDetails(details), message });
  };
  return {
    error: (details, message) => send('error', details, message),
    warn: (details, message) => send('warn', details, message),
    info: (details, message) => send('info', details, message),
  };
}
