// The files of the consumer projects: an ES module app, a CommonJS app and a TypeScript app, each
// holding the README's examples verbatim (the TypeScript one also a check of the public surface).

const TSCONFIG = {
  compilerOptions: {
    target: 'es2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    // TypeScript's default, written out: the package's own declarations are checked too.
    skipLibCheck: false,
    types: ['node'],
    outDir: 'out',
  },
  include: ['*.ts'],
};

/** What a TypeScript user can reach, and what they cannot. */
const SURFACE = `import express from 'express';
import {
  type DefinedPolicy,
  definePolicy,
  type PolicyInput,
  type PrivacyLogOptions,
  presets,
  privacyLog,
  type WarningCode,
} from 'express-privacy-log';
import { MemoryStore, type MemoryStoreOptions } from 'express-privacy-log/stores/memory';
import { NdjsonStore } from 'express-privacy-log/stores/ndjson';
import { SqliteStore, type SqliteStoreOptions } from 'express-privacy-log/stores/sqlite';
import { applyRetention, emptyPurgeResult, isHeld, type Store } from 'express-privacy-log/store-kit';
import { storeContract } from 'express-privacy-log/testing';

export const warnings: WarningCode[] = ['WRN_FULL_IP'];
// @ts-expect-error: a misspelt warning code does not compile
export const typo: PrivacyLogOptions = { warnings: ['WRN_FULL_IPS'] };
// @ts-expect-error: a misspelt policy key does not compile
export const key: PolicyInput = { name: 'x', categories: { essential: { purposes: ['a'], basis: 'contract', retension: 'P1D' } } };

const cnil: DefinedPolicy<'client' | 'essential' | 'nonessential'> = presets.cnil;
export const extended = definePolicy({
  ...cnil,
  name: 'extended',
  categories: { ...cnil.categories, client: { ...cnil.categories.client, geo: 'none' } },
});

const memory: MemoryStoreOptions = {};
const sqlite: SqliteStoreOptions = { path: ':memory:' };
export const stores: Store[] = [new MemoryStore(memory), new SqliteStore(sqlite), new NdjsonStore({ destination: process.stdout })];
export const kit = [applyRetention, emptyPurgeResult, isHeld, storeContract];

const app = express();
app.use(privacyLog({ store: new MemoryStore(), warnings }));
app.get('/', (req, res) => {
  req.privacyLog?.optional({ name: 'x' });
  // @ts-expect-error: the handle's internals are not part of its type
  req.privacyLog?.revise(req.privacyLog.decision, undefined);
  res.end();
});
`;

// @ts-expect-error on an import line flags an export that is not there.
const INTERNALS = `// @ts-expect-error: the NDJSON line encoder is internal
import { toNdjsonLine } from 'express-privacy-log/stores/ndjson';
// @ts-expect-error: the SQLite driver loader is internal
import { loadDriver } from 'express-privacy-log/stores/sqlite';

export const internals = [toNdjsonLine, loadDriver];
`;

const CHECK_EXTENDED = `import { policy } from './extend-preset.mjs';

const { client, essential } = policy.categories;
console.log(client.geo, client.retention, client.basis, essential.query.allow.join());
`;

/** Relative path to content, for one Express major's project folder. */
export function projectFiles(examples) {
  return {
    'esm/package.json': JSON.stringify({ type: 'module' }),
    'esm/usage.mjs': examples['usage.mjs'],
    'esm/extend-preset.mjs': examples['extend-preset.mjs'],
    'esm/extend-preset-check.mjs': CHECK_EXTENDED,
    'cjs/package.json': JSON.stringify({ type: 'commonjs' }),
    'cjs/usage.cjs': examples['usage.cjs'],
    'ts/package.json': JSON.stringify({ type: 'module' }),
    'ts/tsconfig.json': JSON.stringify(TSCONFIG, null, 2),
    'ts/usage.ts': examples['usage.ts'],
    // The README's example is JavaScript; it must type-check unchanged as TypeScript too.
    'ts/extend-preset.ts': examples['extend-preset.mjs'],
    'ts/surface.ts': SURFACE,
    'ts/internals.ts': INTERNALS,
  };
}
