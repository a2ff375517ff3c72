import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PROBE = join(import.meta.dirname, '../fixtures/load-probe.mjs');
// The probe imports the build, as an installed package would be, in a fresh process: this test
// process has loaded half the dependencies already.
if (!existsSync(join(import.meta.dirname, '../../dist/index.js'))) {
  throw new Error('dist/ is missing: run `npm run build` first (the child process imports it)');
}

/**
 * What a step of the probe saw: packages loaded, native addons, the library's own modules (paths
 * under dist/), data files opened (counts).
 */
interface Step {
  step: string;
  packages: string[];
  native: string[];
  library: string[];
  opened: Record<string, number>;
}

/** The heavy packages, each needed by some policies or stores only. */
const HEAVY = ['better-sqlite3', 'geoip-lite', 'tldts'];
/**
 * Every package the root import loads. Small ones the request path uses; a package added to this
 * list is paid for by every app at start-up, whatever its policy, so it takes a decision.
 */
const AT_IMPORT = [
  'cookie',
  'cookie-parser',
  'cookie-signature',
  'ipaddr.js',
  'lru-cache',
  'on-headers',
  'structured-headers',
];
const GEOIP_DATA = 'geoip-city.dat';
/** The optional ASN package is data only: it is "loaded" when its CSV files are read. */
const ASN_DATA = ['asn-ipv4-num.csv', 'asn-ipv6.csv'];
const asnInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('@ip-location-db/asn/package.json');
    return true;
  } catch {
    return false;
  }
})();

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'epl-lazy-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function probe(scenario: string): Promise<Step[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [PROBE, scenario, scratch], {
    cwd: scratch,
  });
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Step);
}

const heavyIn = (step: Step) => HEAVY.filter((name) => step.packages.includes(name));
const dataOpened = (step: Step) => Object.keys(step.opened).sort();

// Each test starts a fresh Node process or two, which takes seconds on a busy machine.
describe('what the package loads', { timeout: 60_000 }, () => {
  it('importing the package root loads no SQLite driver, GeoIP, public-suffix list or ASN data', async () => {
    const [imported] = await probe('import');
    expect(imported!.step).toBe('import');
    expect(heavyIn(imported!)).toEqual([]);
    // Nor zod (policies are validated when defined), pino (the default diagnostic logger is made
    // when needed), ua-parser-js or isbot (the background stage parses User-Agents).
    expect(imported!.packages).toEqual(AT_IMPORT);
    expect(imported!.native).toEqual([]);
    expect(dataOpened(imported!)).toEqual([]);
    // The ASN table's code comes with its data, and the command line is not part of the package.
    expect(imported!.library).not.toContain('enrich/asn-table.js');
    expect(imported!.library.filter((file) => file.startsWith('cli/'))).toEqual([]);
  });

  it('a strict logger with a MemoryStore serves a request without loading any of them', async () => {
    const steps = await probe('strict-memory');
    const constructed = steps.find((s) => s.step === 'constructed')!;
    // Validating the options and the preset loads zod; nothing parses a User-Agent yet.
    expect(constructed.packages).toContain('zod');
    expect(constructed.packages).not.toContain('ua-parser-js');
    expect(constructed.packages).not.toContain('isbot');
    const last = steps.at(-1)!;
    // The record's User-Agent was parsed in the background stage; the app passed its own
    // diagnostic logger, so pino never loaded.
    expect(last.packages).toContain('ua-parser-js');
    expect(last.packages).not.toContain('pino');
    expect(last.step).toBe('records 1');
    expect(heavyIn(last)).toEqual([]);
    expect(last.native).toEqual([]);
    expect(dataOpened(last)).toEqual([]);
  });

  it('the default diagnostic logger loads pino with its first message', async () => {
    const steps = await probe('default-logger');
    const step = (name: string) => steps.find((s) => s.step === name)!;
    expect(step('quiet 1').packages).not.toContain('pino');
    expect(step('warned').packages).toContain('pino');
  });

  it('the default policy loads GeoIP (it keeps country and region), once for two loggers, and no SQLite driver with a MemoryStore', async () => {
    const steps = await probe('default-twice');
    const last = steps.at(-1)!;
    expect(last.step).toBe('records 1 1');
    expect(heavyIn(last)).toEqual(['geoip-lite']);
    // geoip-lite reads each of its database files once per load.
    expect(last.opened[GEOIP_DATA]).toBe(1);
    for (const file of ASN_DATA) expect(last.opened[file]).toBeUndefined();
  });

  it('SqliteStore loads its driver at init(), not when it is constructed', async () => {
    const steps = await probe('sqlite');
    const step = (name: string) => steps.find((s) => s.step === name)!;
    expect(step('constructed').packages).not.toContain('better-sqlite3');
    expect(step('init').packages).toContain('better-sqlite3');
    expect(step('init').native).toEqual(['better_sqlite3.node']);
  });

  it('a policy that records the domain loads the public-suffix list when the logger is created', async () => {
    const steps = await probe('domain');
    const step = (name: string) => steps.find((s) => s.step === name)!;
    expect(step('import').packages).not.toContain('tldts');
    expect(step('constructed').packages).toContain('tldts');
    // The app's own company resolver: the built-in data is not read.
    for (const file of ASN_DATA) expect(step('records 1').opened[file]).toBeUndefined();
  });

  it.skipIf(!asnInstalled)(
    'the built-in company resolver reads the ASN data once, only for a policy that records the company',
    async () => {
      const last = (await probe('company')).at(-1)!;
      expect(last.step).toBe('records 1');
      for (const file of ASN_DATA) expect(last.opened[file]).toBe(1);
      expect(last.library).toContain('enrich/asn-table.js');
    },
  );

  it('the command line loads a command only to run it, and no heavy package for --version', async () => {
    const steps = await probe('cli');
    const version = steps.find((s) => s.step === 'version 0')!;
    // ipaddr.js (pure JavaScript, no data) comes with the store URL parser, through the subject
    // matching by address that every store shares; nothing native or data-heavy loads.
    expect(version.packages).toEqual(['ipaddr.js']);
    expect(version.library.filter((file) => file.endsWith('-commands.js'))).toEqual([]);
    expect(version.library).not.toContain('policy/schema.js');
    const stats = steps.find((s) => s.step === 'stats 0')!;
    expect(stats.packages).toContain('better-sqlite3');
    expect(stats.library).toContain('cli/data-commands.js');
    // Counting records needs neither the policy schema (zod) nor the notice.
    expect(stats.packages).not.toContain('zod');
    expect(stats.library).not.toContain('cli/document-commands.js');
  });
});
