import { PolicyError } from '../../policy/errors.js';

/**
 * `lastUpdate` of `/.well-known/gpc.json` when the site gives none. The member dates the statement
 * of support, so that later changes to the meaning of GPC do not change how the statement is read.
 * Without a date from the site, the statement is the one this library makes for it (GPC honoured as
 * the library honours it), so the default is the day that behaviour last changed here: it moves
 * only with a release that changes how GPC is honoured, never with a restart, and every instance
 * behind a load balancer answers the same. Change it with any change to how GPC is honoured.
 */
export const DEFAULT_GPC_LAST_UPDATE = '2026-11-30';

/** RFC 3339 `full-date`. */
const FULL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** RFC 3339 `date-time`: `T` and `Z` in either case, optional fraction, `Z` or a numeric offset. */
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
  return day <= days;
}

/**
 * True for what the GPC specification allows as `lastUpdate`: an RFC 3339 `full-date`
 * (`YYYY-MM-DD`) or `date-time` (`YYYY-MM-DDTHH:mm:ss.sssZ`, or with an offset), naming a day that
 * exists and a time of day that does. Leap seconds (`:60`) are refused: no date can be checked
 * against the leap-second table here.
 */
export function isGpcDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const date = FULL_DATE.exec(value);
  if (date) return isCalendarDate(Number(date[1]), Number(date[2]), Number(date[3]));
  const time = DATE_TIME.exec(value);
  if (!time) return false;
  const part = (i: number): number => Number(time[i]);
  const offset = time[7] === undefined || (part(7) <= 23 && part(8) <= 59);
  return (
    isCalendarDate(part(1), part(2), part(3)) &&
    part(4) <= 23 &&
    part(5) <= 59 &&
    part(6) <= 59 &&
    offset
  );
}

/**
 * The body of `/.well-known/gpc.json`, or undefined when the site does not claim to honour GPC. The
 * resource speaks for the whole site (the specification's "site-wide" status, and one answer that
 * any cache may keep), so it is served only when every policy the site applies honours GPC. Throws
 * {@link PolicyError} for a `lastUpdate` the specification does not allow, served or not.
 */
export function gpcResourceBody(
  siteHonoursGpc: boolean,
  lastUpdate: string | undefined,
): string | undefined {
  const date = lastUpdate ?? DEFAULT_GPC_LAST_UPDATE;
  if (!isGpcDate(date)) {
    throw new PolicyError([
      {
        key: 'gpcLastUpdate',
        value: lastUpdate,
        message: `${JSON.stringify(lastUpdate)} is not a date that exists in the form the GPC specification allows: an RFC 3339 date, YYYY-MM-DD (2025-06-01), or date-time, YYYY-MM-DDTHH:mm:ssZ (2025-06-01T12:00:00Z, or with an offset such as +02:00)`,
      },
    ]);
  }
  return siteHonoursGpc ? JSON.stringify({ gpc: true, lastUpdate: date }) : undefined;
}
