/**
 * Loading a batch with `COPY ... FROM STDIN` (text format): the fastest way into PostgreSQL, through
 * the optional peer dependency pg-copy-streams. COPY cannot skip a row whose key is stored already,
 * so the store falls back to its `INSERT ... ON CONFLICT DO NOTHING` when a COPY hits one.
 */
import type { AccessRecord } from '../../record.js';
import { normalizeEmail } from '../retention.js';
import type { CopyIn } from './session.js';
import { isoOrEpoch, recordJson, type TableNames, wellFormedText } from './sql.js';

/** Makes the stream of one COPY statement: pg-copy-streams' `from`. */
export type CopyFrom = (sql: string) => CopyIn;

/**
 * pg-copy-streams' `from`, or `undefined` when the package is not installed. `required` turns its
 * absence into an error that says what to install.
 */
export async function loadCopyFrom(required: boolean): Promise<CopyFrom | undefined> {
  try {
    const module = (await import('pg-copy-streams')) as {
      from?: CopyFrom;
      default?: { from?: CopyFrom };
    };
    const from = module.from ?? module.default?.from;
    if (typeof from !== 'function') throw new Error('pg-copy-streams has no from()');
    return from;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error;
    if (!required) return undefined;
    throw new Error(
      'PostgresStore: copy: true needs the package pg-copy-streams (npm install pg-copy-streams)',
      { cause: error },
    );
  }
}

/** The COPY statement that reads {@link copyRows}' text. */
export function copySql(t: TableNames): string {
  return `COPY ${t.base} (time, id, visitor_id, email, held, exp_client, exp_essential,
      exp_nonessential, exp_optional, exp_security, record) FROM STDIN`;
}

/** Characters that need a second look in a text field: COPY's own, and what PostgreSQL refuses. */
const NEEDS_CARE = /[\\\n\r\t\0\ud800-\udfff]/;

/** COPY's escapes for the characters that would end a field or a row. */
const COPY_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** A text field in COPY's text format: `\N` for null, escapes for backslash, tab and line ends. */
function field(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (!NEEDS_CARE.test(value)) return value;
  return wellFormedText(value).replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]!);
}

/** An expiry field: canonical ISO, the epoch when it does not parse, `\N` when absent. */
function expiry(value: string | undefined): string {
  return value === undefined ? '\\N' : isoOrEpoch(value);
}

/**
 * A batch in key order, `(time, id)` with times canonical, and without repeats of a key (the first
 * wins, as with ON CONFLICT DO NOTHING). The fixed order makes overlapping batches from several
 * instances take row locks in the same order, so they wait for each other instead of deadlocking.
 */
export function inKeyOrder(
  records: readonly AccessRecord[],
): { time: string; record: AccessRecord }[] {
  const keyed = records.map((record) => ({ time: isoOrEpoch(record.time), record }));
  // Array sort is stable: of two records with one key, the one written first stays first.
  keyed.sort((a, b) => {
    if (a.time !== b.time) return a.time < b.time ? -1 : 1;
    return a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0;
  });
  return keyed.filter(
    (entry, i) =>
      i === 0 || entry.time !== keyed[i - 1]!.time || entry.record.id !== keyed[i - 1]!.record.id,
  );
}

/**
 * The COPY text of a batch: one line per record, in {@link inKeyOrder}. Times are canonical ISO
 * (the epoch when they do not parse); text that `jsonb` or `text` would refuse (NUL, lone
 * surrogates) becomes U+FFFD, as in the insert path.
 */
export function copyRows(records: readonly AccessRecord[]): string {
  let text = '';
  for (const { time, record } of inKeyOrder(records)) {
    const email = record.optional?.email;
    const normalized = email === undefined ? '' : normalizeEmail(email);
    const { expires } = record;
    let json = recordJson(record);
    // JSON text has no raw tab or line end (JSON escapes them), only backslashes to double.
    if (json.includes('\\')) json = json.replaceAll('\\', '\\\\');
    text += `${time}\t${field(record.id)}\t${field(record.nonessential?.visitorId)}\t${field(
      normalized === '' ? null : normalized,
    )}\t${record.security?.hold === true ? 't' : 'f'}\t${expiry(expires.client)}\t${expiry(
      expires.essential,
    )}\t${expiry(expires.nonessential)}\t${expiry(expires.optional)}\t${expiry(
      expires.security,
    )}\t${json}\n`;
  }
  return text;
}
