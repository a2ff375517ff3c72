/**
 * ISO 8601 durations as the policy writes them (`P13M`, `P30D`, `PT12H`, `P1Y2M`), converted to
 * milliseconds with fixed unit lengths so that an expiry is the same whichever day a record starts:
 * a year is 365 days, a month 30 days, a week 7 days. `P13M` is therefore 390 days.
 */
const DURATION =
  /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?!$)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
export const DAY_MS = 24 * HOUR;
const UNIT_MS = [365 * DAY_MS, 30 * DAY_MS, 7 * DAY_MS, DAY_MS, HOUR, MINUTE, SECOND] as const;

/** Milliseconds in an ISO 8601 duration, or `undefined` when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  let ms = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const part = match[i + 1];
    if (part !== undefined) ms += Number(part) * UNIT_MS[i]!;
  }
  return ms;
}

/**
 * The longest duration a policy may give: 100 years. Every expiry is `now + duration` as a `Date`,
 * which holds about 275,000 years from 1970, so this bound keeps every expiry a real date; and
 * anything longer is a way of writing "forever", which a retention says as `'forever'`.
 */
export const MAX_DURATION_MS = 100 * UNIT_MS[0];

/** A duration as a person reads it: whole days when it is some, seconds otherwise. */
export function describeDuration(ms: number): string {
  if (ms % DAY_MS === 0) return `${ms / DAY_MS} days`;
  return `${ms / SECOND} seconds`;
}
