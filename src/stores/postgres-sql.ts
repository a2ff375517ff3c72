/**
 * The SQL of the PostgreSQL store: the schema and its migrations, the legal-hold predicate, and the
 * conversion of records into the JSON the batched insert reads. Table names are validated once
 * and then inlined (quoted); every value travels as a parameter.
 */
import type { AccessRecord } from '../record.js';
import { normalizeEmail } from './retention.js';
import type { HoldScope, Subject } from './store.js';

/** The schema version this code writes and reads, kept in the `<table>_schema` table. */
export const POSTGRES_SCHEMA_VERSION = 1;

/**
 * Advisory-lock namespaces (the first key; the second is `hashtext(table)`): schema changes, and
 * the retention sweeper.
 */
export const MIGRATION_LOCK = 0x65706c01;
export const SWEEPER_LOCK = 0x65706c02;

/**
 * Lower-case letters, digits and underscores, starting with a letter or underscore, at most 48
 * characters: the derived names (`_holds`, `_p20250101`) then stay within PostgreSQL's 63.
 */
const TABLE_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

/** The names of every relation a store with base table `table` uses, already quoted. */
export interface TableNames {
  readonly base: string;
  /** Unquoted, for catalog lookups and advisory-lock keys. */
  readonly raw: string;
  readonly holds: string;
  readonly schema: string;
  readonly defaultPartition: string;
  /** The quoted name of the partition for one UTC day (`YYYYMMDD`). */
  partition(day: string): string;
}

/** Validate a table name and derive the store's relation names; throws a TypeError otherwise. */
export function tableNames(table: string): TableNames {
  if (!TABLE_NAME.test(table)) {
    throw new TypeError(
      `PostgresStore: table must match ${TABLE_NAME} (lower-case letters, digits, underscores; ` +
        `at most 48 characters), got ${JSON.stringify(table)}`,
    );
  }
  return {
    base: `"${table}"`,
    raw: table,
    holds: `"${table}_holds"`,
    schema: `"${table}_schema"`,
    defaultPartition: `"${table}_default"`,
    partition: (day) => `"${table}_p${day}"`,
  };
}

/** Migrations: entry `n` moves a schema from version `n` to `n + 1`. */
export function migrations(t: TableNames): readonly string[] {
  const expiryIndexes = ['client', 'essential', 'nonessential', 'optional', 'security']
    .map(
      (category) =>
        `CREATE INDEX IF NOT EXISTS "${t.raw}_exp_${category}" ON ${t.base} (exp_${category})
           WHERE exp_${category} IS NOT NULL;`,
    )
    .join('\n');
  return [
    // Keyed by (time, id): a unique key on a partitioned table must contain the partition key.
    // The id alone identifies a record; its time never changes, so a retried record carries the
    // same pair and ON CONFLICT sees it, in whichever partition it landed. The "C" collation
    // makes the tie-break on id the same byte order every other store uses.
    `CREATE TABLE IF NOT EXISTS ${t.base} (
       time timestamptz NOT NULL,
       id text COLLATE "C" NOT NULL,
       visitor_id text,
       email text,
       held boolean NOT NULL DEFAULT false,
       exp_client timestamptz,
       exp_essential timestamptz,
       exp_nonessential timestamptz,
       exp_optional timestamptz,
       exp_security timestamptz,
       record jsonb NOT NULL,
       PRIMARY KEY (time, id)
     ) PARTITION BY RANGE (time);
     CREATE TABLE IF NOT EXISTS ${t.defaultPartition} PARTITION OF ${t.base} DEFAULT;
     CREATE INDEX IF NOT EXISTS "${t.raw}_visitor_id" ON ${t.base} (visitor_id)
       WHERE visitor_id IS NOT NULL;
     CREATE INDEX IF NOT EXISTS "${t.raw}_email" ON ${t.base} (email) WHERE email IS NOT NULL;
     ${expiryIndexes}
     CREATE TABLE IF NOT EXISTS ${t.holds} (
       id text PRIMARY KEY,
       hold jsonb NOT NULL,
       from_time timestamptz,
       to_time timestamptz,
       visitor_id text,
       email text,
       ids text[]
     );`,
  ];
}

/**
 * SQL that is true when the row aliased `r` is under legal hold: flagged in the record itself, or
 * inside the scope of any hold in the holds table (every given field of the scope must match).
 */
export function heldPredicate(t: TableNames): string {
  return `(r.held OR EXISTS (
    SELECT 1 FROM ${t.holds} h
     WHERE (h.from_time IS NULL OR r.time >= h.from_time)
       AND (h.to_time IS NULL OR r.time < h.to_time)
       AND (h.visitor_id IS NULL OR r.visitor_id = h.visitor_id)
       AND (h.email IS NULL OR r.email = h.email)
       AND (h.ids IS NULL OR r.id = ANY (h.ids))))`;
}

/** The holds-table columns of a scope: `[from_time, to_time, visitor_id, email, ids]`. */
export function scopeColumns(scope: HoldScope): unknown[] {
  const time = (value: string | undefined, key: string): string | null => {
    if (value === undefined) return null;
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new TypeError(`hold scope ${key} is not a date: ${value}`);
    return new Date(ms).toISOString();
  };
  let visitorId: string | null = null;
  let email: string | null = null;
  let ids: readonly string[] | null = scope.ids ?? null;
  const subject = scopeSubject(scope.subject);
  if (subject !== undefined) {
    // A blank subject matches no record (as everywhere else): an empty id list says so in SQL.
    if (subject.value === '') ids = [];
    else if (subject.column === 'visitor_id') visitorId = subject.value;
    else email = subject.value;
  }
  return [time(scope.from, 'from'), time(scope.to, 'to'), visitorId, email, ids];
}

/** The indexed column and value a subject is found by; e-mails in their normalised form. */
export function scopeSubject(
  subject: Subject | undefined,
): { column: 'visitor_id' | 'email'; value: string } | undefined {
  if (subject === undefined) return undefined;
  if ('visitorId' in subject) return { column: 'visitor_id', value: subject.visitorId };
  return { column: 'email', value: normalizeEmail(subject.email) };
}

/** Canonical ISO form of a time, or the epoch when it does not parse. */
function isoOrEpoch(text: string): string {
  const ms = Date.parse(text);
  return new Date(Number.isNaN(ms) ? 0 : ms).toISOString();
}

/**
 * The JSON array a batch is inserted from, one object per record with its indexed columns. NUL
 * characters and lone surrogates, which `jsonb` rejects (and with them the whole batch), become
 * U+FFFD; nothing else changes.
 */
export function batchJson(records: readonly AccessRecord[]): string {
  const items = records.map((record) => {
    const email = record.optional?.email;
    const normalized = email === undefined ? '' : normalizeEmail(email);
    const expiry = (category: keyof AccessRecord['expires']): string | null => {
      const value = record.expires[category];
      // An expiry that does not parse has passed: the next purge removes the category.
      return value === undefined ? null : isoOrEpoch(value);
    };
    return {
      t: isoOrEpoch(record.time),
      i: record.id,
      v: record.nonessential?.visitorId ?? null,
      e: normalized === '' ? null : normalized,
      h: record.security?.hold === true,
      c: expiry('client'),
      s: expiry('essential'),
      n: expiry('nonessential'),
      o: expiry('optional'),
      y: expiry('security'),
      r: record,
    };
  });
  const text = JSON.stringify(items);
  return UNSAFE_FOR_JSONB.test(text) ? JSON.stringify(items, wellFormed) : text;
}

/** A quick test on the serialised text; false positives only cost a second, careful pass. */
const UNSAFE_FOR_JSONB = /\\u(?:0000|d[89a-f])/i;

/** NUL, or a surrogate that is not half of a pair. */
const UNSAFE_CHAR = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function wellFormed(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? value.replace(UNSAFE_CHAR, '\ufffd') : value;
}

/** The insert statement that reads {@link batchJson}'s array. */
export function insertSql(t: TableNames): string {
  return `INSERT INTO ${t.base}
      (time, id, visitor_id, email, held, exp_client, exp_essential, exp_nonessential,
       exp_optional, exp_security, record)
    SELECT (x->>'t')::timestamptz, x->>'i', x->>'v', x->>'e', (x->>'h')::boolean,
           (x->>'c')::timestamptz, (x->>'s')::timestamptz, (x->>'n')::timestamptz,
           (x->>'o')::timestamptz, (x->>'y')::timestamptz, x->'r'
      FROM jsonb_array_elements($1::jsonb) AS x
    ON CONFLICT DO NOTHING`;
}
