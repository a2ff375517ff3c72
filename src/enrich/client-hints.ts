import { parseItem, parseList } from 'structured-headers';
import { cleanText } from '../minimize/text.js';
import type { AgentBrowser } from './user-agent.js';

/**
 * The User-Agent client hint headers as received (RFC 8941 structured fields). Browsers built on
 * Chromium send the first three with every request over HTTPS; the others only after the site
 * asks for them with `Accept-CH`.
 */
export interface ClientHintHeaders {
  /** `Sec-CH-UA`: brands with their major version. */
  readonly ua: string;
  /** `Sec-CH-UA-Mobile`: `?1` on a phone. */
  readonly mobile?: string | undefined;
  /** `Sec-CH-UA-Platform`: the OS name, e.g. `"Windows"`. */
  readonly platform?: string | undefined;
  /** `Sec-CH-UA-Platform-Version`: asked for only by `clientHints: 'platform-version'`. */
  readonly platformVersion?: string | undefined;
  /** `Sec-CH-UA-Full-Version-List`: sent when asked for; only its major versions are read. */
  readonly fullVersionList?: string | undefined;
}

/** What the record can use from the hints, in the names ua-parser-js gives the same things. */
export interface ClientHints {
  readonly browser?: AgentBrowser;
  readonly mobile?: boolean;
  /** OS name, e.g. `Windows`, `Mac OS`, `Android`. */
  readonly os?: string;
  /** OS version from the platform-version hint, e.g. `11` for Windows 11, `14.4.1` for macOS. */
  readonly osVersion?: string;
  /** A headless browser announced itself: an automated client. */
  readonly headless: boolean;
}

type Headers = Record<string, string | string[] | undefined>;

/** Longest hint value parsed; real ones are under 200 characters. */
const MAX_HINT = 512;

const text = (value: string | string[] | undefined): string | undefined =>
  typeof value === 'string' && value.length <= MAX_HINT ? value : undefined;

/**
 * The hint headers of a request, or undefined when it sent no `Sec-CH-UA` (every browser but
 * those built on Chromium). One property read for most requests; nothing is parsed here.
 */
export function captureHints(headers: Headers): ClientHintHeaders | undefined {
  const ua = text(headers['sec-ch-ua']);
  if (ua === undefined) return undefined;
  return {
    ua,
    mobile: text(headers['sec-ch-ua-mobile']),
    platform: text(headers['sec-ch-ua-platform']),
    platformVersion: text(headers['sec-ch-ua-platform-version']),
    fullVersionList: text(headers['sec-ch-ua-full-version-list']),
  };
}

/** A stable string for a set of hint headers, for caches (NUL never reaches a header value). */
export function hintsKey(h: ClientHintHeaders): string {
  return `${h.ua}\0${h.mobile ?? ''}\0${h.platform ?? ''}\0${h.platformVersion ?? ''}\0${h.fullVersionList ?? ''}`;
}

/**
 * Whether a brand is one of Chromium's GREASE brands: the words Not, A and Brand in that order with
 * any punctuation or spaces between and around them (`Not/A)Brand`, `;Not A Brand`,
 * `\Not"A;Brand`). Chromium draws the punctuation from a set that has changed between releases,
 * so only the letters are compared. One pass over a value already bounded by the header limit.
 */
function isGreaseBrand(brand: string): boolean {
  if (brand.length > 64) return false;
  let letters = '';
  for (const char of brand) {
    if (/[A-Za-z0-9]/.test(char)) letters += char;
    if (letters.length > 9) return false;
  }
  return letters.toLowerCase() === 'notabrand';
}

/** Brand names as ua-parser-js names the same browsers, so hinted and parsed records agree. */
const BRAND_NAMES: Readonly<Record<string, string>> = {
  'google chrome': 'Chrome',
  'microsoft edge': 'Edge',
  opera: 'Opera',
  'opera gx': 'Opera GX',
  'samsung internet': 'Samsung Internet',
  yandex: 'Yandex',
  yabrowser: 'Yandex',
  brave: 'Brave',
  vivaldi: 'Vivaldi',
  headlesschrome: 'Chrome Headless',
  'android webview': 'Chrome WebView',
  chromium: 'Chromium',
};

const PLATFORM_NAMES: Readonly<Record<string, string>> = {
  windows: 'Windows',
  macos: 'Mac OS',
  linux: 'Linux',
  android: 'Android',
  'chrome os': 'Chromium OS',
  'chromium os': 'Chromium OS',
  ios: 'iOS',
  fuchsia: 'Fuchsia',
};

// Anchored, with bounded repetition only: linear, on a value already at most MAX_HINT long.
const VERSION = /^\d{1,5}(?:\.\d{1,6}){0,3}$/;

/**
 * Parses hint headers as structured fields. A header that does not parse is ignored on its own;
 * GREASE brands are skipped; a specific brand (`Google Chrome`, `Microsoft Edge`) wins over the
 * `Chromium` engine brand. A value longer than 512 characters is ignored like one that does not
 * parse, so the parser's work stays bounded however it is called. Never throws.
 */
export function parseClientHints(h: ClientHintHeaders): ClientHints {
  const brands = brandList(h.ua);
  const full = h.fullVersionList === undefined ? undefined : brandList(h.fullVersionList);
  let headless = false;
  let chosen: [string, string | undefined] | undefined;
  for (const [brand, version] of brands) {
    const key = brand.toLowerCase();
    if (key === 'headlesschrome') headless = true;
    // The first specific brand wins; the engine brand only when nothing else is named.
    if (chosen === undefined || (chosen[0].toLowerCase() === 'chromium' && key !== 'chromium')) {
      chosen = [brand, version];
    }
  }
  const out: { -readonly [K in keyof ClientHints]: ClientHints[K] } = { headless };
  if (chosen) {
    const [brand, version] = chosen;
    const fullVersion = full?.find(([b]) => b === brand)?.[1];
    const major = (fullVersion ?? version)?.split('.')[0];
    const browser: { name: string; major?: string } = {
      name: BRAND_NAMES[brand.toLowerCase()] ?? cleanText(brand, 64),
    };
    if (major !== undefined && /^\d{1,5}$/.test(major)) browser.major = major;
    out.browser = Object.freeze(browser);
  }
  const mobile = item(h.mobile);
  if (typeof mobile === 'boolean') out.mobile = mobile;
  const platform = item(h.platform);
  if (typeof platform === 'string' && platform !== '' && platform.toLowerCase() !== 'unknown') {
    out.os = PLATFORM_NAMES[platform.toLowerCase()] ?? cleanText(platform, 64);
    const version = item(h.platformVersion);
    if (typeof version === 'string' && VERSION.test(version)) {
      const named = osVersion(out.os, version);
      if (named !== undefined) out.osVersion = named;
    }
  }
  return Object.freeze(out);
}

/** The version the record keeps: Windows by release name, others without trailing `.0` parts. */
function osVersion(os: string, version: string): string | undefined {
  if (os === 'Windows') {
    // Chromium reports the Windows.Foundation contract version: 13 and above is Windows 11,
    // 1 to 10 is Windows 10, 0 is 7, 8 or 8.1 (too coarse to name).
    const major = Number(version.split('.')[0]);
    return major >= 13 ? '11' : major >= 1 ? '10' : undefined;
  }
  let trimmed = version;
  while (trimmed.endsWith('.0')) trimmed = trimmed.slice(0, -2);
  return trimmed;
}

function brandList(value: string): [string, string | undefined][] {
  if (value.length > MAX_HINT) return [];
  try {
    const out: [string, string | undefined][] = [];
    for (const [brand, params] of parseList(value)) {
      if (typeof brand !== 'string' || brand === '' || isGreaseBrand(brand)) continue;
      const v = params.get('v');
      out.push([brand, typeof v === 'string' ? v : undefined]);
    }
    return out;
  } catch {
    return [];
  }
}

function item(value: string | undefined): unknown {
  if (value === undefined || value.length > MAX_HINT) return undefined;
  try {
    return parseItem(value)[0];
  } catch {
    return undefined;
  }
}
