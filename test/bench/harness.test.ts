import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type * as Library from '../../src/index.js';

// The benchmark runs the build in dist/ (`npm test` builds first), through plain JavaScript
// modules loaded by URL. No test here looks at a timing: figures on a shared machine are not a
// test; these check that the harness measures what it says.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
if (!existsSync(join(ROOT, 'dist/index.js'))) {
  throw new Error('dist/ is missing: run `npm run build` first (the benchmark measures the build)');
}
const load = async <T>(path: string) =>
  (await import(new URL(`../../bench/${path}`, import.meta.url).href)) as T;

interface Spec {
  method: string;
  path: string;
  headers: Record<string, string>;
}
interface Measured {
  requests: number;
  userUs: number;
  systemUs: number;
  elapsedMs: number;
  peakRssBytes: number;
  stats?: Library.PrivacyLogStats;
}
interface Server {
  url: string;
  start(): Promise<unknown>;
  stop(): Promise<Measured>;
  close(): Promise<void>;
}
interface LibModule {
  median(values: number[]): number;
  spread(values: number[]): number;
  roundOrder(names: string[], round: number): string[];
  table(header: string[], rows: (string | number)[][]): string;
  markdownTable(header: string[], rows: (string | number)[][]): string;
  machine(): { cpu: string; cores: number; node: string };
  startServer(variant: string, options: { dir: string }): Promise<Server>;
}
interface BudgetsModule {
  evaluate(results: object): { budget: string; measured: string; met: boolean | undefined }[];
}
interface Counted {
  variant: string;
  serving: number;
  others: number;
}
type SelfCosts = [number, string][];
interface CallgrindModule {
  threadTotals(dir: string, prefix: string): Map<number, number>;
  parseAnnotate(text: string): SelfCosts;
  splitOtherThreads(threads: SelfCosts[]): Record<string, number>;
  withRatios(
    rows: Counted[],
  ): (Counted & { whole: number; servingRatioToBare: number; wholeRatioToBare: number })[];
}
interface SimulateModule {
  simulate(middleware: Library.PrivacyLogMiddleware, spec: Spec): void;
  routeOf(path: string): string | undefined;
}
interface AppModule {
  VARIANTS: { name: string; skip?: (env: object) => string | undefined }[];
  localReverse(address: string): Promise<string[]>;
}
interface SaturationRound {
  round: number;
  requests: number;
  reqPerSec: number;
  p99Ms: number;
  serverCores: number;
  mainCores?: number;
  loadgenCores: number;
  machineCores?: number;
  drainMs: number;
  peakRssBytes: number;
  errors: number;
  statusCodes: Record<string, number>;
  written?: number[];
  dropped: number;
}
interface SaturationSummary {
  name: string;
  label: string;
  reqPerSec: number;
  ratioToBare: number;
  serverCores: number;
  mainCores?: number;
  loadgenCores: number;
  machineCores?: number;
  limit?: string;
  errors: number;
  dropped: number;
  rounds: SaturationRound[];
}
interface Loadgen {
  close(): Promise<void>;
}
interface SaturationModule {
  SATURATION_VARIANTS: string[];
  SATURATION_HEADER: string[];
  machineTicks(): { busy: number; total: number } | undefined;
  busyCores(
    before: { busy: number; total: number },
    after: { busy: number; total: number },
    cores: number,
  ): number | undefined;
  limitOf(
    figures: {
      loadgenCores: number;
      serverCores?: number;
      machineCores?: number;
      mainCores?: number;
    },
    cores: number,
  ): string | undefined;
  summarise(
    rounds: Map<string, Partial<SaturationRound>[]>,
    context: { labels: Record<string, string>; cores: number },
  ): SaturationSummary[];
  saturationRows(variants: SaturationSummary[], cores: number): (string | number)[][];
  startLoadgen(): Promise<Loadgen>;
  measureSaturation(options: {
    startServer: LibModule['startServer'];
    loadgen: Loadgen;
    variant: string;
    round: number;
    dir: string;
    seconds: number;
    warmupRequests: number;
    connections: number;
    visitorCookies: readonly string[];
    cores: number;
  }): Promise<SaturationRound>;
}
interface TrafficModule {
  SECRET: string;
  CHOICE_COOKIE: string;
  CONSENT: string;
  makeRequests(options: {
    count: number;
    visitorCookies: readonly string[];
    seed?: number;
  }): Spec[];
}

const lib = await load<LibModule>('lib.js');
const budgets = await load<BudgetsModule>('budgets.js');
const { simulate, routeOf } = await load<SimulateModule>('simulate.js');
const app = await load<AppModule>('app.js');
const traffic = await load<TrafficModule>('traffic.js');
const saturation = await load<SaturationModule>('saturation.js');
const callgrind = await load<CallgrindModule>('callgrind.js');
const library = (await import('express-privacy-log' as string)) as typeof Library;

describe('statistics and tables', () => {
  it('median of odd and even counts, ignoring non-numbers', () => {
    expect(lib.median([3, 1, 2])).toBe(2);
    expect(lib.median([4, 1, 3, 2])).toBe(2.5);
    expect(lib.median([1, Number.NaN, 3])).toBe(2);
    expect(lib.median([])).toBeNaN();
    expect(lib.spread([90, 100, 110])).toBeCloseTo(0.2);
    expect(lib.spread([5])).toBe(0);
  });

  it('rotates the variant order every round, each variant once per round', () => {
    const names = ['bare', 'morgan', 'gdpr'];
    const orders = [0, 1, 2, 3].map((round) => lib.roundOrder(names, round));
    expect(orders[0]).toEqual(['bare', 'morgan', 'gdpr']);
    expect(orders[1]).toEqual(['morgan', 'gdpr', 'bare']);
    expect(orders[3]).toEqual(orders[0]);
    for (const order of orders) expect([...order].sort()).toEqual([...names].sort());
    // Over a full rotation every variant runs first once.
    expect(new Set(orders.slice(0, 3).map((o) => o[0])).size).toBe(3);
  });

  it('formats aligned text and Markdown tables', () => {
    const text = lib.table(
      ['variant', 'us'],
      [
        ['bare', '1.0'],
        ['library', '12.5'],
      ],
    );
    expect(text.split('\n')).toEqual([
      'variant  us',
      '-------  ----',
      'bare      1.0',
      'library  12.5',
    ]);
    expect(lib.markdownTable(['a', 'b'], [['x', 1]])).toBe('| a | b |\n| :-- | --: |\n| x | 1 |');
  });

  it('describes the machine', () => {
    const m = lib.machine();
    expect(m.cores).toBeGreaterThan(0);
    expect(m.cpu.length).toBeGreaterThan(0);
    expect(m.node).toBe(process.version);
  });
});

describe('budget evaluation', () => {
  const variant = (name: string, cpuUsPerRequest: number, ratioToBare: number) => ({
    name,
    cpuUsPerRequest,
    ratioToBare,
  });

  it('reports each budget a run measured, met or not', () => {
    const lines = budgets.evaluate({
      variants: [
        variant('bare', 100, 1),
        variant('morgan', 150, 1.5),
        variant('pino-http', 120, 1.2),
        variant('gdpr', 130, 1.3),
      ],
      micro: {
        background: { gdpr: { recordsPerCpuSecond: 120_000 } },
        stores: {
          SqliteStore: { rowsPerSecond: 90_000, batch: 500 },
          PostgresStore: { skipped: 'PG_URL is not set' },
        },
        memory: {
          requests: 1_000_000,
          buffered: 10_000,
          queueCap: 10_000,
          heapGrowthAfterTenthBytes: 0,
          bounded: true,
        },
      },
    });
    // ratio, below morgan, below pino-http, the preset below the cheaper logger, background,
    // SQLite, PostgreSQL, memory
    expect(lines.map((l) => l.met)).toEqual([
      false,
      true,
      false,
      false,
      true,
      false,
      undefined,
      true,
    ]);
    expect(lines[0]!.measured).toContain('1.30x');
    expect(lines[3]!.budget).toContain('below pino-http');
    expect(lines[6]!.measured).toContain('PG_URL is not set');
  });

  it('judges the default pipeline by its production form, worker mode, when the run has it', () => {
    const lines = budgets.evaluate({
      variants: [
        variant('bare', 100, 1),
        variant('morgan', 150, 1.5),
        variant('gdpr', 170, 1.7),
        variant('gdpr-worker', 140, 1.4),
      ],
    });
    const defaults = lines.filter((l) => l.budget.startsWith('default pipeline'));
    expect(defaults.map((l) => [l.budget, l.met])).toEqual([
      ['default pipeline (gdpr + SQLite, worker mode) <= 1.1x bare Express CPU/request', false],
      ['default pipeline CPU/request below morgan', true],
    ]);
    expect(defaults[0]!.measured).toContain('1.40x');
  });

  it("reports every preset's serving thread and whole process", () => {
    const lines = budgets
      .evaluate({
        variants: [
          variant('bare', 100, 1),
          variant('morgan', 150, 1.5),
          variant('pino-http', 160, 1.6),
          { ...variant('strict-worker', 140, 1.4), mainUsPerRequest: 105, mainRatioToBare: 1.05 },
          { ...variant('gdpr-worker', 155, 1.55), mainUsPerRequest: 120, mainRatioToBare: 1.2 },
        ],
      })
      .filter((l) => /serving thread|whole process/.test(l.budget));
    expect(lines.map((l) => [l.budget, l.met])).toEqual([
      ['strict-worker: serving thread <= 1.1x bare Express CPU/request', true],
      ['strict-worker: whole process CPU/request below morgan', true],
      ['gdpr-worker: serving thread <= 1.1x bare Express CPU/request', false],
      ['gdpr-worker: whole process CPU/request below morgan', false],
    ]);
  });

  it("judges every preset's serving thread and whole process on instruction counts too", () => {
    const counted = (name: string, serving: number, others: number) => ({
      name,
      serving,
      others,
      whole: serving + others,
      servingRatioToBare: serving / 600_000,
      wholeRatioToBare: (serving + others) / 800_000,
    });
    const lines = budgets
      .evaluate({
        variants: [],
        instructions: {
          variants: [
            counted('bare', 600_000, 200_000),
            // The floor is no preset: it is reported in the table, not judged.
            counted('floor-ip', 640_000, 200_000),
            counted('morgan', 700_000, 500_000),
            counted('pino-http', 650_000, 450_000),
            { ...counted('strict-worker', 640_000, 420_000), label: 'strict, worker mode' },
            counted('gdpr-worker', 720_000, 500_000),
          ],
        },
      })
      .filter((l) => l.budget.includes('instructions'));
    expect(lines.map((l) => [l.budget, l.met])).toEqual([
      ['strict, worker mode: serving thread <= 1.1x bare Express instructions/request', true],
      ['strict, worker mode: whole process instructions/request below pino-http', true],
      ['gdpr-worker: serving thread <= 1.1x bare Express instructions/request', false],
      ['gdpr-worker: whole process instructions/request below pino-http', false],
    ]);
    expect(lines[0]!.measured).toBe('1.07x (640k vs 600k instructions/request)');
    expect(lines[3]!.measured).toBe(
      '1220k vs 1100k instructions/request (serving + other threads)',
    );
    // Without morgan or pino-http counted (a smoke run), only the serving thread is judged; a
    // section skipped for want of valgrind judges nothing.
    const smoke = budgets.evaluate({
      variants: [],
      instructions: {
        variants: [counted('bare', 600_000, 200_000), counted('gdpr-worker', 720_000, 500_000)],
      },
    });
    expect(smoke.map((l) => l.budget)).toEqual([
      'gdpr-worker: serving thread <= 1.1x bare Express instructions/request',
    ]);
    expect(
      budgets.evaluate({
        variants: [],
        instructions: { skipped: 'valgrind is not installed', variants: [] },
      }),
    ).toEqual([]);
  });

  it('reports the background stage with many distinct User-Agents and the import time', () => {
    const lines = budgets.evaluate({
      variants: [],
      micro: {
        background: {
          'gdpr, 10,000 distinct UAs': { recordsPerCpuSecond: 80_000, userAgentHitRate: 0.45 },
        },
      },
      startup: {
        runs: 7,
        imports: { 'express-privacy-log': { wallMs: 90 }, express: { wallMs: 30 } },
      },
    });
    expect(
      lines.map((l) => [l.budget.includes('distinct') || l.budget.includes('import'), l.met]),
    ).toEqual([
      [true, false],
      [true, true],
    ]);
    expect(lines[0]!.measured).toContain('45% User-Agent cache hits');
    expect(lines[1]!.measured).toContain('90 ms');
  });

  const saturated = (name: string, reqPerSec: number, ratioToBare: number, limit?: string) => ({
    name,
    reqPerSec,
    ratioToBare,
    limit,
  });

  it('reports the worker pipeline at saturation against bare Express, with what limited each', () => {
    const line = (variants: object[]) =>
      budgets
        .evaluate({ variants: [], saturation: { variants } })
        .filter((l) => l.budget.includes('saturation'));
    const below = line([
      saturated('bare', 4000, 1),
      saturated('gdpr', 3000, 0.75),
      saturated('gdpr-worker', 3600, 0.9, 'serving thread'),
    ]);
    expect(below).toHaveLength(1);
    expect(below[0]!.budget).toBe(
      'gdpr + SQLite (worker) saturation >= 0.95x bare Express requests/s',
    );
    expect(below[0]!.met).toBe(false);
    expect(below[0]!.measured).toBe(
      '0.90x (3600 vs 4000 requests/s; gdpr-worker limited by serving thread)',
    );
    // Server and load generator filling the two cores between them is the contest meant.
    const level = line([
      saturated('bare', 4000, 1, 'machine'),
      saturated('gdpr-worker', 3960, 0.99),
    ]);
    expect(level[0]!.met).toBe(true);
    expect(level[0]!.measured).toContain('bare limited by machine');
    // A client at its limit, or others' work on the cores, leaves the budget unjudged.
    for (const limit of ['load generator', 'other work']) {
      const unjudged = line([
        saturated('bare', 4000, 1),
        saturated('gdpr-worker', 2000, 0.5, limit),
      ]);
      expect(unjudged[0]!.met).toBeUndefined();
      expect(unjudged[0]!.measured).toContain(`gdpr-worker limited by ${limit}`);
    }
    // Without the worker variant there is nothing to report.
    expect(line([saturated('bare', 4000, 1), saturated('gdpr', 3000, 0.75)])).toEqual([]);
  });

  it('reports nothing for what a run did not measure', () => {
    expect(budgets.evaluate({ variants: [], micro: undefined })).toEqual([]);
  });
});

describe('the instruction counts', () => {
  it("sums callgrind's dumps of one process by thread", () => {
    const dir = mkdtempSync(join(tmpdir(), 'epl-bench-cg-'));
    try {
      // One file per thread and dump; a second dump of thread 1, and another process's file.
      const dump = (name: string, thread: number, total: number) =>
        writeFileSync(
          join(dir, name),
          `# callgrind format\nversion: 1\ncmd: node\npart: 1\nthread: ${thread}\n\nevents: Ir\nsummary: ${total}\n`,
        );
      dump('cg.42.1-01', 1, 1000);
      dump('cg.42.1-02', 2, 300);
      dump('cg.42.2-01', 1, 500);
      dump('cg.42.2-05', 5, 200);
      dump('cg.43.1-01', 1, 9999);
      writeFileSync(join(dir, 'log.sqlite'), '');
      expect([...callgrind.threadTotals(dir, 'cg.42')].sort(([a], [b]) => a - b)).toEqual([
        [1, 1500],
        [2, 300],
        [5, 200],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads each function's own instructions from callgrind_annotate's report", () => {
    const report = [
      '--------------------------------------------------------------------------------',
      'Ir                   file:function',
      '--------------------------------------------------------------------------------',
      '210,249,982 (100.0%)  PROGRAM TOTALS',
      '',
      '42,455,588 (20.19%)  ???:v8::internal::ConcurrentMarking::RunMajor(v8::JobDelegate*) [/usr/bin/node]',
      ' 1,399,366 ( 0.67%)  ./string/memmove.S:__memcpy_avx_unaligned_erms [/usr/lib/libc.so.6]',
      'Timerange: Basic block 0 - 398146559',
    ].join('\n');
    expect(callgrind.parseAnnotate(report)).toEqual([
      [
        42_455_588,
        '???:v8::internal::ConcurrentMarking::RunMajor(v8::JobDelegate*) [/usr/bin/node]',
      ],
      [1_399_366, './string/memmove.S:__memcpy_avx_unaligned_erms [/usr/lib/libc.so.6]'],
    ]);
  });

  it('tells the worker from the helper threads, and splits the helpers by kind of work', () => {
    const worker: SelfCosts = [
      [500, '???:Builtins_LoadIC [/usr/bin/node]'],
      // The worker's own scavenges stay the worker's.
      [70, '???:v8::internal::Scavenger::Process(v8::JobDelegate*) [/usr/bin/node]'],
    ];
    const helper: SelfCosts = [
      [40, '???:v8::internal::compiler::GraphReducer::ReduceTop() [/usr/bin/node]'],
      [
        30,
        '???:v8::internal::MarkingVisitorBase<...>::ProcessStrongHeapObject(...) [/usr/bin/node]',
      ],
      [20, '???:v8::internal::Scavenger::ScavengePage(v8::internal::MemoryChunk*) [/usr/bin/node]'],
      [10, '???:v8::internal::Sweeper::RawSweep(v8::internal::Page*) [/usr/bin/node]'],
      [5, './malloc/malloc.c:_int_free [/usr/lib/libc.so.6]'],
    ];
    expect(callgrind.splitOtherThreads([worker, helper, [[1, 'futex_wait']]])).toEqual({
      javascript: 570,
      compiling: 40,
      marking: 30,
      scavenging: 20,
      sweeping: 10,
      other: 6,
    });
  });

  it('gives each variant its ratios to bare Express, serving thread and whole', () => {
    const [bare, gdpr] = callgrind.withRatios([
      { variant: 'bare', serving: 600, others: 200 },
      { variant: 'gdpr-worker', serving: 660, others: 540 },
    ]);
    expect(bare).toMatchObject({ whole: 800, servingRatioToBare: 1, wholeRatioToBare: 1 });
    expect(gdpr).toMatchObject({ variant: 'gdpr-worker', whole: 1200, wholeRatioToBare: 1.5 });
    expect(gdpr!.servingRatioToBare).toBeCloseTo(1.1);
    expect(() => callgrind.withRatios([{ variant: 'gdpr', serving: 1, others: 1 }])).toThrow(
      /bare Express/,
    );
  });
});

describe('the simulated request', () => {
  it('knows the route templates of the benchmark site', () => {
    expect(routeOf('/products/12')).toBe('/products/:id');
    expect(routeOf('/search?q=x')).toBe('/search');
    expect(routeOf('/old-page-3.html')).toBeUndefined();
  });

  it('produces the records a real request would', async () => {
    const store = new library.MemoryStore();
    const logger = library.privacyLog({
      secret: traffic.SECRET,
      store,
      warnings: false,
      batch: { maxDelayMs: 0 },
    });
    // A consenting visitor from a public address, coming from a search engine.
    simulate(logger, {
      method: 'GET',
      path: '/products/7?utm_source=x',
      headers: {
        host: 'shop.example',
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
        'x-forwarded-for': '81.2.69.160',
        'x-forwarded-proto': 'https',
        referer: 'https://www.google.com/search?q=kettle',
        cookie: `${traffic.CHOICE_COOKIE}=${traffic.CONSENT}`,
      },
    });
    simulate(logger, {
      method: 'GET',
      path: '/missing',
      headers: { host: 'shop.example', 'x-forwarded-for': '2a01:cb00:1:2::3' },
    });
    await logger.flush();
    const [page, missing] = store.records;
    expect(page).toMatchObject({
      policy: 'gdpr@1',
      consent: { analytics: true, basis: 'consent' },
      essential: {
        method: 'GET',
        path: '/products/7',
        route: '/products/:id',
        status: 200,
        bytes: 1320,
      },
      nonessential: { referrer: 'https://www.google.com' },
      client: { ip: '81.2.69.0' },
    });
    expect(page!.essential.browser?.name).toBe('Firefox');
    expect(page!.nonessential?.visitorId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(missing).toMatchObject({ essential: { status: 404 }, client: { ip: '2a01:cb00:1::' } });
    expect(missing!.essential.route).toBeUndefined();
    await logger.close();
  });
});

describe('the local reverse lookup of the classic variant', () => {
  it('answers in this process: a name under a public suffix, or no name', async () => {
    const answers = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => app.localReverse(`81.2.69.${i}`)),
    );
    const found = answers.filter((a) => a.status === 'fulfilled');
    expect(found.length).toBeGreaterThan(10);
    expect(found.length).toBeLessThan(40);
    for (const a of found)
      expect((a as PromiseFulfilledResult<string[]>).value[0]).toMatch(/^host-81-2-69-\d+\./);
    // The same address always gets the same answer.
    const answer = () => app.localReverse('81.2.69.1').catch((err: { code: string }) => err.code);
    expect(await answer()).toEqual(await answer());
  });

  it('skips PostgreSQL without PG_URL, saying why', () => {
    const pg = app.VARIANTS.find((v) => v.name === 'postgres')!;
    expect(pg.skip?.({})).toBe('PG_URL is not set');
  });
});

describe('the saturation section', () => {
  it('measures the references and the default pipeline in both modes', () => {
    expect(saturation.SATURATION_VARIANTS).toEqual([
      'bare',
      'gdpr',
      'gdpr-worker',
      'morgan',
      'pino-http',
    ]);
    const known = new Set(app.VARIANTS.map((v) => v.name));
    for (const name of saturation.SATURATION_VARIANTS) expect(known.has(name)).toBe(true);
  });

  it('names what ran out: the load generator first, then the machine, then the serving thread', () => {
    const limit = (figures: object) =>
      saturation.limitOf({ loadgenCores: 0.5, serverCores: 1.3, ...figures }, 2);
    expect(limit({ loadgenCores: 0.95, machineCores: 2, mainCores: 1 })).toBe('load generator');
    // A full machine: by server and load generator alone, or with others' work beside them.
    expect(limit({ machineCores: 1.9, mainCores: 1 })).toBe('machine');
    expect(limit({ serverCores: 0.6, machineCores: 1.9, mainCores: 0.5 })).toBe('other work');
    expect(limit({ machineCores: 1.5, mainCores: 0.95 })).toBe('serving thread');
    expect(limit({ machineCores: 1.5, mainCores: 0.6 })).toBe(undefined);
    // Where the machine's and the thread's CPU are unknown, only the load generator can be named.
    expect(saturation.limitOf({ loadgenCores: 0.5 }, 2)).toBe(undefined);
  });

  it('pairs each round with bare Express in the same round and takes medians', () => {
    const round = (r: number, reqPerSec: number, loadgenCores = 0.5) => ({
      round: r,
      reqPerSec,
      p99Ms: 10,
      serverCores: 1,
      mainCores: 0.7,
      loadgenCores,
      machineCores: 1.6,
      peakRssBytes: (100 + r) * 2 ** 20,
      errors: 0,
      dropped: r,
    });
    const rounds = new Map([
      ['bare', [round(0, 1000), round(1, 2000), round(2, 4000)]],
      // 0.9, 0.95 and 0.5 of bare in the same rounds: the median ratio is 0.9, whereas the ratio
      // of the medians would be 1800 / 2000.
      ['gdpr-worker', [round(0, 900), round(1, 1900), round(2, 2000, 0.95)]],
    ]);
    const [bare, worker] = saturation.summarise(rounds, {
      labels: { bare: 'bare Express' },
      cores: 2,
    });
    expect(bare).toMatchObject({ name: 'bare', label: 'bare Express', ratioToBare: 1 });
    expect(worker).toMatchObject({
      name: 'gdpr-worker',
      label: 'gdpr-worker',
      reqPerSec: 1900,
      ratioToBare: 0.9,
      loadgenCores: 0.5,
      limit: undefined,
      peakRssBytes: 102 * 2 ** 20,
      dropped: 3,
    });
    expect(worker!.rounds).toHaveLength(3);
    const rows = saturation.saturationRows([worker!], 2);
    expect(rows[0]).toHaveLength(saturation.SATURATION_HEADER.length);
    expect(rows[0]!.slice(0, 5)).toEqual(['gdpr-worker', 1900, '0.90', '10', '1.00/2']);
    expect(rows[0]!.slice(-2)).toEqual(['102.0', '-']);
  });

  it("reads the machine's busy cores", () => {
    const before = saturation.machineTicks();
    if (before === undefined) return; // not Linux: the column reads n/a
    expect(before.busy).toBeLessThanOrEqual(before.total);
    const after = { busy: before.busy + 150, total: before.total + 200 };
    expect(saturation.busyCores(before, after, 2)).toBe(1.5);
    expect(saturation.busyCores(before, before, 2)).toBeUndefined();
  });

  it('drives a server as fast as it answers, the load generator in its own process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'epl-bench-saturation-'));
    const loadgen = await saturation.startLoadgen();
    try {
      for (const variant of ['bare', 'strict-worker']) {
        const vdir = join(dir, variant);
        mkdirSync(vdir);
        const r = await saturation.measureSaturation({
          startServer: lib.startServer,
          loadgen,
          variant,
          round: 0,
          dir: vdir,
          seconds: 1,
          warmupRequests: 200,
          connections: 8,
          visitorCookies: [],
          cores: lib.machine().cores,
        });
        expect(r.requests).toBeGreaterThan(0);
        expect(r.errors).toBe(0);
        expect(r.statusCodes['5xx']).toBe(0);
        expect(r.reqPerSec).toBeGreaterThan(0);
        expect(r.serverCores).toBeGreaterThan(0);
        expect(r.loadgenCores).toBeGreaterThan(0);
        expect(r.dropped).toBe(0);
        if (variant === 'bare') {
          expect(r.written).toBeUndefined();
        } else {
          // Everything of the window is written before the figures are read: at least its requests.
          expect(r.written![0]).toBeGreaterThanOrEqual(r.requests);
        }
      }
    } finally {
      await loadgen.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('a benchmark server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'epl-bench-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function drive(server: Server, requests: Spec[]) {
    for (const spec of requests) {
      const res = await fetch(server.url + spec.path, { headers: { ...spec.headers } });
      await res.arrayBuffer();
      expect(res.status === 200 || res.status === 404).toBe(true);
    }
  }

  for (const variant of ['bare', 'gdpr', 'strict']) {
    it(`${variant}: counts the requests of the window and reports CPU time, memory and the log's counters`, async () => {
      const vdir = join(dir, variant);
      mkdirSync(vdir);
      const server = await lib.startServer(variant, { dir: vdir });
      try {
        const requests = traffic.makeRequests({ count: 40, visitorCookies: [], seed: 5 });
        // fetch() cannot set Host; the site answers on any host.
        for (const spec of requests) delete spec.headers.host;
        await drive(server, requests.slice(0, 10));
        await server.start();
        await drive(server, requests.slice(10));
        const measured = await server.stop();
        expect(measured.requests).toBe(30);
        expect(measured.userUs + measured.systemUs).toBeGreaterThan(0);
        expect(measured.peakRssBytes).toBeGreaterThan(10 * 2 ** 20);
        if (variant === 'bare') {
          expect(measured.stats).toBeUndefined();
        } else {
          // stop() waited for the log: everything captured is written, nothing dropped.
          const store = measured.stats!.stores[0]!;
          expect(store.written).toBe(40);
          expect(store.buffered).toBe(0);
          expect(Object.values(store.dropped).every((n) => n === 0)).toBe(true);
        }
      } finally {
        await server.close();
      }
    });
  }
});
