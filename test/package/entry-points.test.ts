// What each entry point of the package offers. A name added here is API for years: the lists are
// exact, so that an internal helper cannot become public by being exported from a module an entry
// happens to re-export.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
};

/** The runtime names of each subpath; types are checked by the packaged-consumer test. */
const PUBLIC: Record<string, string[]> = {
  './stores/sqlite': ['SQLITE_SCHEMA_VERSION', 'SqliteStore'],
  './stores/ndjson': ['NdjsonStore'],
  './stores/memory': ['MemoryStore'],
  './stores/postgres': ['POSTGRES_SCHEMA_VERSION', 'PostgresStore'],
  './stores/redis': ['RedisStreamStore'],
  './store-kit': [
    'CATEGORIES',
    'RECORD_VERSION',
    'STRIPPABLE_CATEGORIES',
    'applyRetention',
    'compareRecords',
    'countOutcome',
    'emptyPurgeResult',
    'isExpired',
    'isHeld',
    'isReviewDue',
    'matchesHoldScope',
    'matchesQuery',
    'matchesSubject',
    'normalizeAddress',
    'normalizeEmail',
    'normalizeHold',
    'normalizeScope',
    'subjectValue',
    'toWorkerConfig',
  ],
  './testing': [
    'CONTRACT_BASE_TIME',
    'capabilitiesOf',
    'contractId',
    'contractRecord',
    'contractRecords',
    'daysAfter',
    'eraseCounts',
    'inStoreOrder',
    'purgeCounts',
    'readAll',
    'storeContract',
    'withRetries',
  ],
};

/** The source file an export-map target is built from: `./dist/x/y.js` is `src/x/y.ts`. */
function sourceOf(target: string): string {
  return join(ROOT, target.replace(/^\.\/dist\//, 'src/').replace(/\.(d\.ts|js)$/, '.ts'));
}

describe('entry points', () => {
  it('every subpath names a small entry file, and its types beside its code', () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (subpath === './package.json') continue;
      if (typeof target === 'string') throw new Error(`${subpath} has no types condition`);
      expect(target.types.replace(/\.d\.ts$/, '')).toBe(target.default.replace(/\.js$/, ''));
      expect(existsSync(sourceOf(target.default)), target.default).toBe(true);
      if (subpath !== '.') expect(target.default).toMatch(/^\.\/dist\/entries\//);
    }
    expect(Object.keys(pkg.exports).sort()).toEqual(
      ['.', './package.json', ...Object.keys(PUBLIC)].sort(),
    );
  });

  it.each(Object.entries(PUBLIC))('%s exports exactly its public names', async (subpath, names) => {
    const target = pkg.exports[subpath] as { default: string };
    const module = (await import(sourceOf(target.default))) as object;
    expect(Object.keys(module).sort()).toEqual([...names].sort());
  });

  it('internals stay out: the NDJSON line encoder and the SQLite driver loader', async () => {
    const ndjson = (await import(sourceOf('./dist/entries/ndjson.js'))) as object;
    const sqlite = (await import(sourceOf('./dist/entries/sqlite.js'))) as object;
    expect(ndjson).not.toHaveProperty('toNdjsonLine');
    expect(sqlite).not.toHaveProperty('loadDriver');
  });
});
