/**
 * The device class of a User-Agent when ua-parser-js gives none.
 *
 * A wrong `desktop` is worse than none: against Matomo's device-detector fixtures, calling every
 * Windows, Linux or BSD string without a device type a desktop was right for barely more than half
 * of them (Windows CE handhelds, UCWEB and Opera Mini on feature phones, TVs and set-top boxes on
 * Linux or FreeBSD, headsets). So a few cheap tokens that name a TV, console, headset or phone are
 * looked for first, and `desktop` is only said for a desktop operating system that shows it.
 */

/** Device types of ua-parser-js that the record keeps as they are. */
export const DEVICE_TYPES: ReadonlySet<string> = new Set([
  'mobile',
  'tablet',
  'smarttv',
  'console',
  'wearable',
  'embedded',
  'xr',
]);

/** Linux distributions (lower case, as ua-parser-js names them) that run on desktops. */
const LINUX_DISTRIBUTIONS = [
  'ubuntu',
  'kubuntu',
  'xubuntu',
  'lubuntu',
  'debian',
  'raspbian',
  'fedora',
  'redhat',
  'red hat',
  'centos',
  'suse',
  'opensuse',
  'gentoo',
  'arch',
  'mint',
  'manjaro',
  'slackware',
  'mandriva',
  'mageia',
  'pclinuxos',
  'zenwalk',
  'deepin',
  'elementary os',
  'linpus',
  'sabayon',
  'linspire',
  'vectorlinux',
];

/** Linux-based systems (lower case, as ua-parser-js names them) other than plain `Linux`. */
export const LINUX_SYSTEMS: ReadonlySet<string> = new Set([
  ...LINUX_DISTRIBUTIONS,
  'android',
  'tizen',
  'webos',
  'chromium os',
  'chromecast',
  'kaios',
  'sailfish',
  'meego',
  'maemo',
  'openharmony',
  'harmonyos',
  'ubuntu touch',
  'nettv',
  'netrange',
]);

/**
 * Unix-like desktop systems (lower case). Set-top boxes, TVs and proxies of feature-phone browsers
 * run the same systems, so these count as a desktop only when the string also names a desktop
 * window system (`X11`, `Wayland`), as every desktop browser on them does.
 */
const UNIX_DESKTOP: ReadonlySet<string> = new Set([
  'linux',
  ...LINUX_DISTRIBUTIONS,
  'freebsd',
  'openbsd',
  'netbsd',
  'dragonfly',
  'solaris',
  'unix',
  'gnu',
]);

/** Desktop systems that need no further sign. */
const DESKTOP_OS: ReadonlySet<string> = new Set([
  'mac os',
  'macos',
  'chromium os',
  'chrome os',
  'haiku',
]);

// Each pattern is an alternation of short literal tokens without nested repetition, so it runs in
// time linear in the (already bounded) User-Agent.
const TV =
  /smart-?tv|smart tv|hbbtv|netcast|nettv|netrange|viera|bravia|aquos|google ?tv|android ?tv|crkey|roku|inettvbrowser|opera tv|tv safari|ce-html|web0s|webos\.tv|apple ?tv|vizio|philipstv|espial|freebox|\bdtv\b/i;
const CONSOLE = /playstation|xbox|nintendo|\bouya\b|\bwii\b/i;
const XR = /oculusbrowser|\bquest\b|pico ?browser|\bvr safari\b|mobile vr|wolvic/i;
const MOBILE =
  /mobi|phone|windows ce|wpdesktop|midp|j2me|opera mini|ucweb|symbian|series ?60|blackberry|\bbb10\b|kaios|\bpalm|webos/i;

/**
 * The class of a device that ua-parser-js gave no type for, or undefined when the string does not
 * show it. `ua` is the bounded string the parser saw; `osName` and `osVersion` what it made of
 * the OS.
 */
export function guessDevice(
  ua: string,
  osName: string | undefined,
  osVersion: string | undefined,
): string | undefined {
  if (TV.test(ua)) return 'smarttv';
  if (CONSOLE.test(ua)) return 'console';
  if (XR.test(ua)) return 'xr';
  if (MOBILE.test(ua)) return 'mobile';
  if (osName === undefined) return undefined;
  const os = osName.toLowerCase();
  if (os === 'windows') {
    // Windows CE ran on handhelds and Windows RT on tablets; the string says nothing more.
    const version = osVersion?.toLowerCase() ?? '';
    return version.startsWith('ce') || version === 'rt' ? undefined : 'desktop';
  }
  if (DESKTOP_OS.has(os)) return 'desktop';
  if (UNIX_DESKTOP.has(os) && /x11|wayland/i.test(ua)) return 'desktop';
  return undefined;
}
