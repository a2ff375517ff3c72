// What a consumer's npm reads from the manifest: dependency ranges it can deduplicate, no heavy
// optional data installed by default, the real Node floor, and a tarball without stray files.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ASN_PACKAGE, ASN_PACKAGE_VERSION, missingAsnMessage } from '../../src/enrich/company.js';

const ROOT = join(import.meta.dirname, '../..');
const read = (file: string) => JSON.parse(readFileSync(join(ROOT, file), 'utf8'));
const pkg = read('package.json') as {
  engines: { node: string };
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};
const lock = read('package-lock.json') as { packages: Record<string, { version: string }> };

describe('the manifest', () => {
  it('takes each runtime dependency as a caret range from the version the lockfile pins', () => {
    for (const [name, range] of Object.entries(pkg.dependencies)) {
      const pinned = lock.packages[`node_modules/${name}`]?.version;
      expect(range, name).toBe(`^${pinned}`);
    }
  });

  it('leaves the ASN data out of a default install: an optional peer the error message names', () => {
    expect(pkg.dependencies).not.toHaveProperty(ASN_PACKAGE);
    expect(pkg.optionalDependencies ?? {}).not.toHaveProperty(ASN_PACKAGE);
    expect(pkg.peerDependencies[ASN_PACKAGE]).toBe(`^${ASN_PACKAGE_VERSION}`);
    expect(pkg.peerDependenciesMeta[ASN_PACKAGE]?.optional).toBe(true);
    expect(missingAsnMessage()).toContain(`npm install ${ASN_PACKAGE}@${ASN_PACKAGE_VERSION}`);
  });

  it('states the Node version from which require() of this ES module works', () => {
    expect(pkg.engines.node).toBe('>=20.19');
  });
});

describe('the tarball', () => {
  // `npm pack --dry-run` lists what `npm publish` would ship, from the current build.
  it('ships the build without source maps (the sources are not shipped), and nothing from src/ or test/', async () => {
    if (!existsSync(join(ROOT, 'dist/index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (the tarball ships the build)');
    }
    const { stdout } = await promisify(execFile)(
      'npm',
      ['pack', '--dry-run', '--json', '--ignore-scripts'],
      { cwd: ROOT },
    );
    const [{ files }] = JSON.parse(stdout) as [{ files: { path: string }[] }];
    const paths = files.map((f) => f.path);
    expect(paths).toContain('dist/index.js');
    expect(paths).toContain('dist/entries/store-kit.d.ts');
    expect(paths.filter((p) => p.endsWith('.map'))).toEqual([]);
    expect(paths.filter((p) => /^(src|test|bench|scripts)\//.test(p))).toEqual([]);
  });
});
