/**
 * The SQL of the PostgreSQL store: its relation names, the legal-hold predicate, and the conversion
 * of records into the JSON the batched insert reads. Table names are validated once and then
 * inlined (quoted); every value travels as a parameter (or in COPY data).
 */
import type { AccessRecord } from '../../record.js';
import { canonicalTime } from '../../shared/iso-time.js';
import { normalizeEmail, subjectValue } from '../retention.js';
import type { HoldScope, Subject } from '../store.js';

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
  /** The disclosure register, made with its first entry. */
  readonly disclosures: string;
  /** The consent ledger. */
  readonly consents: string;
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
    disclosures: `"${table}_disclosures"`,
    consents: `"${table}_consents"`,
    schema: `"${table}_schema"`,
    defaultPartition: `"${table}_default"`,
    partition: (day) => `"${table}_p${day}"`,
  };
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
       AND (h.ip IS NULL OR (r.record->'client'->>'ip') = h.ip)
       AND (h.ids IS NULL OR r.id = ANY (h.ids))))`;
}

/** The holds-table columns of a scope: `[from_time, to_time, visitor_id, email, ids, ip]`. */
export function scopeColumns(scope: HoldScope): unknown[] {
  const time = (value: string | undefined, key: string): string | null => {
    if (value === undefined) return null;
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new TypeError(`hold scope ${key} is not a date: ${value}`);
    return new Date(ms).toISOString();
  };
  let visitorId: string | null = null;
  let email: string | null = null;
  let ip: string | null = null;
  let ids: readonly string[] | null = scope.ids ?? null;
  const subject = scopeSubject(scope.subject);
  if (subject !== undefined) {
    // A blank subject matches no record (as everywhere else): an empty id list says so in SQL.
    if (subject.value === '') ids = [];
    else if (subject.column === 'visitor_id') visitorId = subject.value;
    else if (subject.column === 'email') email = subject.value;
    else ip = subject.value;
  }
  return [time(scope.from, 'from'), time(scope.to, 'to'), visitorId, email, ids, ip];
}

/**
 * The column (or expression) and value a subject is found by; e-mails normalised, addresses
 * canonical. An address has no column of its own: finding records by address reads the
 * `client.ip` of every row of the table, acceptable for a rare subject request, not for a hot path.
 */
export function scopeSubject(
  subject: Subject | undefined,
): { column: 'visitor_id' | 'email' | typeof IP_EXPRESSION; value: string } | undefined {
  if (subject === undefined) return undefined;
  const { kind, value } = subjectValue(subject);
  if (kind === 'visitorId') return { column: 'visitor_id', value };
  if (kind === 'email') return { column: 'email', value };
  return { column: IP_EXPRESSION, value };
}

/** The client address of a row, as the record keeps it. */
const IP_EXPRESSION = "(record->'client'->>'ip')";

/**
 * Canonical ISO form of a time, or the epoch when it does not parse: the server would refuse the
 * whole batch for one bad time, and an expiry that does not parse has passed.
 */
export function isoOrEpoch(text: string): string {
  return canonicalTime(text) ?? new Date(0).toISOString();
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

/** `text` with NUL characters and lone surrogates, which PostgreSQL refuses, as U+FFFD. */
export function wellFormedText(text: string): string {
  return text.replace(UNSAFE_CHAR, '\ufffd');
}

function wellFormed(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? wellFormedText(value) : value;
}

/**
 * A record as JSON text that `jsonb` accepts, so that purge can always cast it: NUL characters
 * and lone surrogates become U+FFFD; nothing else changes.
 */
export function recordJson(record: AccessRecord): string {
  const text = JSON.stringify(record);
  return UNSAFE_FOR_JSONB.test(text) ? JSON.stringify(record, wellFormed) : text;
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
