import type { AccessRecord } from '../record.js';

/**
 * A store on the serving thread that can take a batch as JSON text: in worker mode its batches
 * come from the worker, and a batch of record objects would be deserialised there one object at a
 * time (and deep-copied again by a store that keeps copies). One string per batch costs the
 * serving thread a copy of the text; the store parses it when it is read, which for the stores
 * that do this (the in-memory store of tests and demos) is rare next to writing.
 */
export const writeJsonBatch = Symbol.for('express-privacy-log.writeJsonBatch');

/** A store that implements {@link writeJsonBatch}. */
export interface JsonBatchWritable {
  /** Take `json`, the JSON text of an array of records, as `write()` would take the array. */
  [writeJsonBatch](json: string): void;
}

/** Whether `store` takes batches as JSON text. */
export function takesJsonBatches(store: object): store is JsonBatchWritable {
  return typeof (store as Partial<JsonBatchWritable>)[writeJsonBatch] === 'function';
}

/** The records of a batch written by {@link writeJsonBatch}. */
export function parseJsonBatch(json: string): AccessRecord[] {
  const records: unknown = JSON.parse(json);
  if (!Array.isArray(records)) throw new TypeError('a JSON batch must be an array of records');
  return records as AccessRecord[];
}
