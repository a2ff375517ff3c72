import { DAY_MS } from '../policy/duration.js';

const ZERO = 0x30;
/** Day numbers (days since the epoch) whose date text is remembered; cleared when full. */
const MAX_DAYS = 64;
/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the range of the 24-character form. */
const MIN_MS = -62_167_219_200_000;
const MAX_MS = 253_402_300_799_999;

/**
 * ISO 8601 text of instants (`2025-06-01T12:34:56.789Z`, exactly what `Date#toISOString` gives),
 * for the record's time and its expiry per category. `toISOString` costs close to a microsecond,
 * and a record needs up to six of these; here the date part is computed once per day and the time
 * of day by arithmetic, into one buffer read back as a flat string. The cache holds day numbers
 * only: nothing about a request.
 */
export class IsoTimestamps {
  readonly #days = new Map<number, Buffer>();
  readonly #out = Buffer.allocUnsafe(24);
  #lastMs = Number.NaN;
  #lastText = '';

  /**
   * The text of `ms` (milliseconds since the epoch; a fraction is cut off as `Date` does).
   * @throws {RangeError} For a value `Date` cannot represent, as `toISOString` does.
   */
  format(ms: number): string {
    // Records are processed in time order, so the same instant often comes twice in a row.
    if (ms === this.#lastMs) return this.#lastText;
    const t = Math.trunc(ms);
    // Outside years 0000–9999 the text has another form (`+010000-…`); NaN throws there too.
    const text = t >= MIN_MS && t <= MAX_MS ? this.#compose(t) : new Date(t).toISOString();
    this.#lastMs = ms;
    this.#lastText = text;
    return text;
  }

  #compose(t: number): string {
    const day = Math.floor(t / DAY_MS);
    const out = this.#out;
    this.#dateOf(day).copy(out, 0);
    let rest = t - day * DAY_MS;
    const hours = Math.floor(rest / 3_600_000);
    rest -= hours * 3_600_000;
    const minutes = Math.floor(rest / 60_000);
    rest -= minutes * 60_000;
    const seconds = Math.floor(rest / 1000);
    const millis = rest - seconds * 1000;
    out[10] = 0x54; // T
    out[11] = ZERO + Math.floor(hours / 10);
    out[12] = ZERO + (hours % 10);
    out[13] = 0x3a; // :
    out[14] = ZERO + Math.floor(minutes / 10);
    out[15] = ZERO + (minutes % 10);
    out[16] = 0x3a;
    out[17] = ZERO + Math.floor(seconds / 10);
    out[18] = ZERO + (seconds % 10);
    out[19] = 0x2e; // .
    out[20] = ZERO + Math.floor(millis / 100);
    out[21] = ZERO + (Math.floor(millis / 10) % 10);
    out[22] = ZERO + (millis % 10);
    out[23] = 0x5a; // Z
    return out.toString('latin1', 0, 24);
  }

  /** `YYYY-MM-DD` of a day number, as ASCII bytes. */
  #dateOf(day: number): Buffer {
    let date = this.#days.get(day);
    if (date === undefined) {
      if (this.#days.size >= MAX_DAYS) this.#days.clear();
      date = Buffer.from(new Date(day * DAY_MS).toISOString().slice(0, 10), 'latin1');
      this.#days.set(day, date);
    }
    return date;
  }
}
