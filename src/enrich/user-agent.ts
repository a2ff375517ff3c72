import { isbot } from 'isbot';
import { UAParser } from 'ua-parser-js';
import { GrowingLru } from '../growing-lru.js';
import { cleanText } from '../minimize/text.js';
import { type ClientHintHeaders, hintsKey, parseClientHints } from './client-hints.js';
import { applyHints } from './combine-hints.js';
import { DEVICE_TYPES, guessDevice } from './device-class.js';

/**
 * What a record keeps of a User-Agent: browser name and major version, OS name and version, device
 * class and bot flag. A part the parser could not tell is absent, not `undefined`. Instances are
 * frozen, because the cache hands the same object to many records.
 */
export interface ParsedAgent {
  readonly browser?: AgentBrowser;
  readonly os?: AgentOs;
  /** `desktop`, `mobile`, `tablet`, `smarttv`, `console`, `wearable`, `embedded` or `xr`. */
  readonly device?: string;
  /** True when isbot recognises a crawler, a monitor or a library such as curl. */
  readonly bot: boolean;
}

/** Browser family and major version, as ua-parser-js names them (`Chrome`, `124`). */
export interface AgentBrowser {
  readonly name?: string;
  readonly major?: string;
}

/** Operating system name and version, as ua-parser-js names them (`Windows`, `10`). */
export interface AgentOs {
  readonly name?: string;
  readonly version?: string;
}

/** Options of {@link UserAgentParser}. */
export interface UserAgentParserOptions {
  /**
   * Distinct User-Agent strings remembered; 0 turns the cache off. Default: 20 000, about 10 MB
   * when full of typical strings (at most about 17 MB of 512-character ones): a site shows
   * thousands of distinct strings a day, and a miss costs tens of microseconds where a hit costs
   * well under one.
   */
  cacheSize?: number;
  /**
   * Characters of a User-Agent parsed; longer ones are cut first, so a 10 KB header costs no more
   * than a normal one and takes no more cache memory. The bot check also sees as many characters
   * from the end, where long crawler strings put their name. Default: 512.
   */
  maxLength?: number;
}

/** The default of {@link UserAgentParserOptions.cacheSize}. */
export const USER_AGENT_CACHE_SIZE = 20_000;

/** Hit and miss counts since construction, and entries now cached. */
export interface UserAgentStats {
  hits: number;
  misses: number;
  size: number;
}

/** Longest kept name or version: real ones are far shorter; this only bounds odd input. */
const PART_MAX = 64;

const UNKNOWN: ParsedAgent = Object.freeze({ bot: false });

/**
 * Parses User-Agent strings (ua-parser-js for browser, OS and device; isbot for the bot flag) with
 * an LRU cache keyed by the string: real traffic repeats a few thousand strings, and parsing costs
 * tens of microseconds where a cache hit costs well under one.
 *
 * An absent or empty User-Agent is unknown, not a bot: `{ bot: false }` with nothing else.
 */
export class UserAgentParser {
  readonly #cache: GrowingLru<string, ParsedAgent> | undefined;
  readonly #maxLength: number;
  readonly #parser = new UAParser();
  #hits = 0;
  #misses = 0;

  /** @throws {RangeError} When `cacheSize` or `maxLength` is not a whole number in range. */
  constructor({ cacheSize = USER_AGENT_CACHE_SIZE, maxLength = 512 }: UserAgentParserOptions = {}) {
    if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
      throw new RangeError(`cacheSize must be a whole number, 0 or more: ${cacheSize}`);
    }
    if (!Number.isSafeInteger(maxLength) || maxLength < 1) {
      throw new RangeError(`maxLength must be a whole number, 1 or more: ${maxLength}`);
    }
    this.#cache = cacheSize > 0 ? new GrowingLru(cacheSize) : undefined;
    this.#maxLength = maxLength;
  }

  /**
   * The parsed agent (frozen, possibly shared with other calls). With client hints, hints and
   * string are combined so that the more specific answer wins: see `applyHints`. Never throws.
   */
  parse(ua: string | undefined, hints?: ClientHintHeaders): ParsedAgent {
    const hasUa = typeof ua === 'string' && ua !== '';
    if (!hasUa && hints === undefined) return UNKNOWN;
    const max = this.#maxLength;
    const text = !hasUa ? '' : ua.length > max ? ua.slice(0, max) : ua;
    // What the bot check sees of a longer string: its head and its tail, so a crawler name at the
    // end of a 2 KB string still counts, and the check's cost stays bounded (its patterns are not
    // all linear, so it never sees the whole string).
    const tail = hasUa && ua.length > max ? ua.slice(-max) : '';
    // NUL never reaches a header value, so the parts cannot run into each other.
    const seen = tail === '' ? text : `${text}\0${tail}`;
    const key = hints === undefined ? seen : `${seen}\0${hintsKey(hints)}`;
    const cached = this.#cache?.get(key);
    if (cached !== undefined) {
      this.#hits++;
      return cached;
    }
    this.#misses++;
    const agent = text === '' ? UNKNOWN : this.#parse(text, tail);
    const parsed = hints === undefined ? agent : applyHints(agent, parseClientHints(hints));
    this.#cache?.set(key, parsed);
    return parsed;
  }

  /** Cache hits and misses since construction, and the number of cached strings. */
  stats(): UserAgentStats {
    return { hits: this.#hits, misses: this.#misses, size: this.#cache?.size ?? 0 };
  }

  /** `ua` is the bounded head of the string; `tail` its end when the string was longer. */
  #parse(ua: string, tail: string): ParsedAgent {
    let bot: boolean;
    let browserName: string | undefined;
    let major: string | undefined;
    let osName: string | undefined;
    let osVersion: string | undefined;
    let type: string | undefined;
    try {
      // Head and tail joined keep the string's real start and end for patterns anchored there.
      bot = isbot(tail === '' ? ua : `${ua} ${tail}`);
      const parser = this.#parser.setUA(ua);
      const browser = parser.getBrowser();
      const os = parser.getOS();
      browserName = browser.name;
      major = browser.major;
      osName = os.name;
      osVersion = os.version;
      type = parser.getDevice().type;
    } catch {
      // Neither library is known to throw; an odd string must still not lose the record.
      return UNKNOWN;
    }

    const result: {
      browser?: AgentBrowser;
      os?: AgentOs;
      device?: string;
      bot: boolean;
    } = { bot };
    if (browserName || major) {
      const browser: { name?: string; major?: string } = {};
      if (browserName) browser.name = cleanText(browserName, PART_MAX);
      if (major) browser.major = cleanText(major, PART_MAX);
      result.browser = Object.freeze(browser);
    }
    if (osName || osVersion) {
      const os: { name?: string; version?: string } = {};
      if (osName) os.name = cleanText(osName, PART_MAX);
      if (osVersion) os.version = cleanText(osVersion, PART_MAX);
      result.os = Object.freeze(os);
    }
    if (type !== undefined && DEVICE_TYPES.has(type)) result.device = type;
    else if (!bot) {
      const guessed = guessDevice(ua, osName, osVersion);
      if (guessed !== undefined) result.device = guessed;
    }
    return Object.freeze(result);
  }
}
