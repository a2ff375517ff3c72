import type { NormalIp } from '../minimize/ip.js';
import { cleanText } from '../minimize/text.js';
import { parseDuration } from '../policy/duration.js';
import type { DetectSettings } from '../policy/security-detect-schema.js';
import { RecentValues } from '../recent-values.js';
import { BurstCounter } from './burst.js';
import { containsAny, MAX_SCAN, NeedleList, pathPart, scanText } from './decode.js';

/** The stable reason codes of the built-in detectors, as they appear in `security.reasons`. */
export const DETECTOR_REASONS = {
  traversal: 'path-traversal',
  sqlInjection: 'sql-injection',
  scriptInjection: 'script-injection',
  sensitivePaths: 'sensitive-path',
  attackTools: 'attack-tool',
  authFailures: 'auth-failure-burst',
  notFound: 'not-found-burst',
} as const;

/** What the detectors and the app's `detect` hook see of one finished request. */
export interface DetectInput {
  method: string;
  /** The full request target, path and query, as the client sent it. */
  target: string;
  userAgent: string | undefined;
  status: number;
  /** Request start, ms since the epoch. */
  timeMs: number;
}

/**
 * The app's own detector: gets the finished request and returns a reason code (or several) to
 * flag it, or nothing. Runs in the background stage, never on the request path.
 */
export type DetectHook = (
  request: Readonly<DetectInput>,
) => string | readonly string[] | undefined | null | false;

const SQL_MARKERS = [
  'union select',
  'union all select',
  "' or '",
  "' or 1",
  '" or "',
  ' or 1=1',
  "'--",
  "' --",
  "';",
  'sleep(',
  'pg_sleep(',
  'benchmark(',
  'waitfor delay',
  'information_schema',
  'load_file(',
  'into outfile',
  'xp_cmdshell',
  'extractvalue(',
  'updatexml(',
  '@@version',
  'select * from',
  'drop table',
  "' and '",
  "' and 1",
] as const;

const SCRIPT_MARKERS = [
  '<script',
  '</script',
  'javascript:',
  'vbscript:',
  'onerror=',
  'onload=',
  'onmouseover=',
  'onfocus=',
  '<svg',
  '<iframe',
  '<img',
  'document.cookie',
  'alert(',
  'prompt(',
  'eval(',
  'data:text/html',
] as const;

/** Paths no visitor of an ordinary site asks for; matched at a segment boundary anywhere. */
const SENSITIVE_PATHS = [
  '/.env',
  '/.git',
  '/.svn',
  '/.hg',
  '/.htaccess',
  '/.htpasswd',
  '/.aws',
  '/.ssh',
  '/.ds_store',
  '/.npmrc',
  '/.docker',
  '/id_rsa',
  '/phpmyadmin',
  '/pma',
  '/server-status',
  '/web.config',
  '/phpinfo.php',
  '/cgi-bin',
  '/actuator',
  '/etc/passwd',
  '/boaform',
  '/vendor/phpunit',
] as const;

const WORDPRESS_PATHS = ['/wp-login.php', '/wp-admin', '/xmlrpc.php', '/wp-config.php'] as const;

const ATTACK_TOOLS = [
  'sqlmap',
  'nikto',
  'nmap',
  'masscan',
  'zgrab',
  'nuclei',
  'gobuster',
  'dirbuster',
  'dirb/',
  'wpscan',
  'acunetix',
  'nessus',
  'openvas',
  'havij',
  'w3af',
  'arachni',
  'commix',
  'hydra',
  'fimap',
  'wfuzz',
  'ffuf',
  'feroxbuster',
  'xsstrike',
  'zmeu',
  'jaeles',
  'netsparker',
  'appscan',
  'skipfish',
] as const;

const MAX_USER_AGENT = 1024;

/**
 * User-Agents whose attack-tool verdict is remembered. A site sees the same few thousand strings
 * over and over, and the check is one search per tool (some thirty) over the lower-cased string;
 * a remembered verdict costs one lookup. Strings longer than {@link TOOL_CACHE_LENGTH} are checked
 * every time, so the cache holds at most about a megabyte. User-Agents are kept in memory here as
 * in the User-Agent parser's cache, never stored.
 */
const TOOL_CACHE_SIZE = 1024;
const TOOL_CACHE_LENGTH = 512;

/** Whether a User-Agent names an attack tool, with the recent verdicts remembered. */
function toolCheck(tools: readonly string[]): (userAgent: string) => boolean {
  const verdicts = new RecentValues<string, boolean>(TOOL_CACHE_SIZE);
  return (userAgent) => {
    const known = verdicts.get(userAgent);
    if (known !== undefined) return known;
    const agent = userAgent.slice(0, MAX_USER_AGENT).toLowerCase();
    const found = containsAny(agent, tools) !== undefined;
    if (userAgent.length <= TOOL_CACHE_LENGTH) verdicts.set(userAgent, found);
    return found;
  };
}

/** True when `path` holds `entry` followed by the end, `/`, `.` suffix-free boundary or `?`. */
function hasSegment(path: string, entry: string): boolean {
  let from = 0;
  for (;;) {
    const at = path.indexOf(entry, from);
    if (at === -1) return false;
    const next = path.charCodeAt(at + entry.length);
    // NaN at the end; a `/` starts the next segment. `/.env.bak` and `/.git/config` count too.
    if (Number.isNaN(next) || next === 0x2f || next === 0x2e || next === 0x3b || next === 0x23)
      return true;
    from = at + entry.length;
  }
}

function hasTraversal(scanned: string): boolean {
  let from = 0;
  for (;;) {
    const at = scanned.indexOf('..', from);
    if (at === -1) return false;
    const before = at === 0 ? 0x2f : scanned.charCodeAt(at - 1);
    const after = scanned.charCodeAt(at + 2);
    const startsSegment = before === 0x2f || before === 0x3d || before === 0x20 || before === 0x3f;
    const endsSegment = Number.isNaN(after) || after === 0x2f || after === 0x3f || after === 0x26;
    if (startsSegment && endsSegment) return true;
    from = at + 2;
  }
}

function markerThreshold(setting: boolean | { threshold: number }): number {
  if (setting === false) return 0;
  return setting === true ? 1 : setting.threshold;
}

function burstOf(
  setting: boolean | { threshold: number; window: string },
  defaultThreshold: number,
  networks: number,
): BurstCounter | undefined {
  if (setting === false) return undefined;
  const { threshold, window } =
    setting === true ? { threshold: defaultThreshold, window: 'PT1M' } : setting;
  return new BurstCounter(threshold, parseDuration(window)!, networks);
}

/** Every enabled detector for one policy, with the state its burst counters keep. */
export interface Detection {
  /** The reason codes for one request; empty when nothing was found. */
  detect(input: DetectInput, ip: NormalIp | undefined): string[];
}

/**
 * Build the detectors a policy's `categories.security.detect` switches on. Each scan runs on a
 * bounded, decoded copy with fixed-string searches, so its cost is linear in the input on any
 * input; the burst counters hold at most `networks` entries each.
 */
export function createDetection(
  settings: DetectSettings,
  hook: DetectHook | undefined,
  onHookError: (err: unknown) => void,
): Detection {
  const traversal = markerThreshold(settings.traversal);
  const sql = markerThreshold(settings.sqlInjection);
  const script = markerThreshold(settings.scriptInjection);
  const sensitive = settings.sensitivePaths;
  const paths: string[] = [];
  if (sensitive !== false) {
    paths.push(...SENSITIVE_PATHS);
    const extra = sensitive === true ? { paths: [], wordpress: false } : sensitive;
    if (!extra.wordpress) paths.push(...WORDPRESS_PATHS);
    for (const p of extra.paths) paths.push(scanText(p));
  }
  const tools: string[] = [];
  if (settings.attackTools !== false) {
    tools.push(...ATTACK_TOOLS);
    if (settings.attackTools !== true)
      for (const a of settings.attackTools.agents) tools.push(a.toLowerCase());
  }
  const isTool = tools.length > 0 ? toolCheck(tools) : undefined;
  const auth = burstOf(settings.authFailures, 10, settings.networks);
  const notFound = burstOf(settings.notFound, 50, settings.networks);
  const scansTarget = traversal > 0 || sql > 0 || script > 0 || paths.length > 0;
  const sqlMarkers = new NeedleList(SQL_MARKERS);
  const scriptMarkers = new NeedleList(SCRIPT_MARKERS);
  const pathEntries = new NeedleList(paths);

  return {
    detect(input, ip) {
      const reasons: string[] = [];
      if (scansTarget) {
        const scanned = scanText(input.target);
        // Most targets hold none of the characters most markers need: those are not searched.
        const held = NeedleList.charsOf(scanned);
        if (traversal > 0 && hasTraversal(scanned)) reasons.push(DETECTOR_REASONS.traversal);
        if (sql > 0 && sqlMarkers.countAny(scanned, held) >= sql)
          reasons.push(DETECTOR_REASONS.sqlInjection);
        if (script > 0 && scriptMarkers.countAny(scanned, held) >= script)
          reasons.push(DETECTOR_REASONS.scriptInjection);
        if (paths.length > 0) {
          // The path's characters are among the whole target's, so `held` rules out for it too.
          const path = pathPart(scanned);
          if (pathEntries.some(held, (entry) => hasSegment(path, entry)))
            reasons.push(DETECTOR_REASONS.sensitivePaths);
        }
      }
      if (isTool !== undefined && input.userAgent && isTool(input.userAgent))
        reasons.push(DETECTOR_REASONS.attackTools);
      if (ip !== undefined) {
        const { status } = input;
        if (auth && (status === 401 || status === 403) && auth.hit(ip, input.timeMs))
          reasons.push(DETECTOR_REASONS.authFailures);
        if (notFound && status === 404 && notFound.hit(ip, input.timeMs))
          reasons.push(DETECTOR_REASONS.notFound);
      }
      if (hook !== undefined) {
        try {
          const own = hook(input);
          if (typeof own === 'string' && own.length > 0) reasons.push(cleanText(own, 200));
          else if (Array.isArray(own))
            for (const r of own.slice(0, 16))
              if (typeof r === 'string' && r.length > 0) reasons.push(cleanText(r, 200));
        } catch (err) {
          onHookError(err);
        }
      }
      return reasons;
    },
  };
}

export { MAX_SCAN };
