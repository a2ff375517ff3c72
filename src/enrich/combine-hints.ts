import type { ClientHints } from './client-hints.js';
import { DEVICE_TYPES, LINUX_SYSTEMS } from './device-class.js';
import type { AgentBrowser, AgentOs, ParsedAgent } from './user-agent.js';

/** OS versions that Chromium's reduced User-Agent string freezes: they say nothing when hinted. */
const FROZEN_OS: Readonly<Record<string, string>> = {
  Windows: '10',
  'Mac OS': '10.15.7',
  Android: '10',
};

const DESKTOP_PLATFORMS: ReadonlySet<string> = new Set([
  'Windows',
  'Mac OS',
  'Linux',
  'Chromium OS',
]);

/**
 * How much a browser name tells. The engine brand `Chromium` says least: Opera, Silk and Chrome
 * itself send it alone. A web view says a little more: the app that embeds it (Facebook, GSA) is
 * named only in the string. Any other name identifies the browser.
 */
const GENERIC_BROWSERS: Readonly<Record<string, number>> = {
  Chromium: 0,
  'Chrome WebView': 1,
  'Android Browser': 1,
};

const specificity = (browser: AgentBrowser | undefined): number =>
  browser?.name === undefined ? -1 : (GENERIC_BROWSERS[browser.name] ?? 2);

/** Classes the string tells better than `Sec-CH-UA-Mobile`, which knows only phone or not. */
const SPECIFIC_DEVICES: ReadonlySet<string> = new Set(
  [...DEVICE_TYPES].filter((type) => type !== 'mobile'),
);

/**
 * Combines a parsed User-Agent with the hints of the same request so that the more specific
 * answer wins. The string of a browser that sends hints is reduced (frozen OS version, fixed
 * device model) and an extension may rewrite it but rarely the hints, so a hint wins where it
 * adds something: a named brand, the real platform version, phone or not for a device the string
 * leaves open. The string wins where it names more: a browser behind the generic `Chromium` or web
 * view brand, a Linux-based system behind the `Linux` platform, a TV, console, headset, watch or
 * tablet that the mobile hint cannot tell from a desktop.
 */
export function applyHints(agent: ParsedAgent, hints: ClientHints): ParsedAgent {
  const out: { browser?: AgentBrowser; os?: AgentOs; device?: string; bot: boolean } = {
    bot: agent.bot || hints.headless,
  };
  const browser =
    specificity(agent.browser) > specificity(hints.browser) ? agent.browser : hints.browser;
  if (browser) out.browser = browser;

  const os = combineOs(agent.os, hints);
  if (os) out.os = os;

  const device = combineDevice(agent.device, hints.mobile, out.os?.name);
  if (device !== undefined) out.device = device;
  return Object.freeze(out);
}

function combineOs(parsed: AgentOs | undefined, hints: ClientHints): AgentOs | undefined {
  if (hints.os === undefined) return parsed;
  // `Linux` is all Chromium says on TVs and headsets whose string names Tizen, webOS or Android.
  const parsedName = parsed?.name?.toLowerCase();
  if (hints.os === 'Linux' && parsedName !== undefined && LINUX_SYSTEMS.has(parsedName)) {
    return parsed;
  }
  const os: { name: string; version?: string } = { name: hints.os };
  if (hints.osVersion !== undefined) os.version = hints.osVersion;
  else if (parsed?.name === hints.os && parsed.version !== undefined) {
    if (FROZEN_OS[hints.os] !== parsed.version && hints.os !== 'Chromium OS') {
      os.version = parsed.version;
    }
  }
  return Object.freeze(os);
}

function combineDevice(
  parsed: string | undefined,
  mobile: boolean | undefined,
  platform: string | undefined,
): string | undefined {
  if (parsed !== undefined && SPECIFIC_DEVICES.has(parsed)) return parsed;
  if (mobile === true) return 'mobile';
  if (mobile === false && platform !== undefined && DESKTOP_PLATFORMS.has(platform)) {
    return 'desktop';
  }
  // Chrome on an Android tablet says "not mobile"; so does a phone asking for the desktop site.
  if (mobile === false && platform === 'Android') return 'tablet';
  return parsed;
}
