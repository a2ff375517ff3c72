/**
 * The disclosure register's entries as every store checks them: one shape, so that SQLite,
 * PostgreSQL and memory keep and return the same thing.
 */
import { requiredText, requiredTime } from './hold-scope.js';
import type { Disclosure } from './store.js';

const MAX_FIELD = 2000;
const MAX_ID = 200;

/**
 * Check a register entry and return a copy in canonical form (times as `toISOString()`, no foreign
 * keys). Throws a TypeError naming the bad field: an entry that says nothing about who received
 * the evidence, or why, is no record of accountability.
 */
export function normalizeDisclosure(entry: Disclosure): Disclosure {
  if (entry === null || typeof entry !== 'object') {
    throw new TypeError('disclosure: must be an object');
  }
  const scope = entry.scope;
  if (scope === null || typeof scope !== 'object') {
    throw new TypeError('disclosure.scope: must be an object');
  }
  if (scope.kind !== 'hold' && scope.kind !== 'reason') {
    throw new TypeError("disclosure.scope.kind: must be 'hold' or 'reason'");
  }
  if (!Array.isArray(scope.ids)) throw new TypeError('disclosure.scope.ids: must be a list');
  if (!/^[0-9a-f]{64}$/.test(String(entry.manifest))) {
    throw new TypeError('disclosure.manifest: must be a SHA-256 in hex');
  }
  return {
    id: requiredText(entry.id, 'disclosure.id', MAX_ID),
    at: requiredTime(entry.at, 'disclosure.at'),
    by: requiredText(entry.by, 'disclosure.by', MAX_FIELD),
    recipient: requiredText(entry.recipient, 'disclosure.recipient', MAX_FIELD),
    basis: requiredText(entry.basis, 'disclosure.basis', MAX_FIELD),
    scope: {
      incident: requiredText(scope.incident, 'disclosure.scope.incident', MAX_FIELD),
      kind: scope.kind,
      ...(scope.from === undefined
        ? {}
        : { from: requiredTime(scope.from, 'disclosure.scope.from') }),
      ...(scope.to === undefined ? {} : { to: requiredTime(scope.to, 'disclosure.scope.to') }),
      ids: scope.ids.map((id) => requiredText(id, 'disclosure.scope.ids[]', MAX_ID)),
    },
    manifest: entry.manifest,
  };
}
