import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type DefinedPolicy, definePolicy } from '../policy/define.js';
import { PolicyError } from '../policy/errors.js';
import { presets } from '../policy/presets.js';
import type { PolicyInput } from '../policy/schema.js';
import { addressRefusal } from '../privacy/address-subjects.js';
import type { Subject } from '../stores/store.js';
import { CliError, UsageError } from './errors.js';

const PRESET_NAMES = Object.keys(presets);

/**
 * The policy a `--policy` argument names: a preset (`gdpr`, `classic`, ...) or a JavaScript module
 * whose default export (or export named `policy`) is a policy. A path must look like one (`./`,
 * `../`, `/`, or a `.js`/`.mjs`/`.cjs` file name), so that a misspelt preset is reported as such
 * rather than searched for on disk.
 */
export async function loadPolicy(spec: string | undefined): Promise<DefinedPolicy> {
  if (spec === undefined || spec === '') {
    throw new UsageError(
      `--policy is required: a preset (${PRESET_NAMES.join(', ')}) or a module such as ./my-policy.js`,
    );
  }
  if (Object.hasOwn(presets, spec)) return presets[spec as keyof typeof presets];
  const looksLikePath = /^(\.{1,2}[\\/]|[\\/]|[A-Za-z]:[\\/])|\.[cm]?js$/.test(spec);
  if (!looksLikePath) {
    throw new UsageError(
      `unknown preset "${spec}": use one of ${PRESET_NAMES.join(', ')}, or a module path such as ./my-policy.js`,
    );
  }
  const path = resolve(spec);
  if (!existsSync(path)) throw new UsageError(`no policy module at ${path}`);
  let module: { default?: unknown; policy?: unknown };
  try {
    module = (await import(pathToFileURL(path).href)) as typeof module;
  } catch (err) {
    throw new CliError(
      `cannot load the policy module ${path}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const exported = module.default ?? module.policy;
  if (exported === null || typeof exported !== 'object') {
    throw new UsageError(
      `${path} exports no policy: export it as the default export (export default definePolicy({ ... }))`,
    );
  }
  try {
    return definePolicy(exported as PolicyInput, 'policy');
  } catch (err) {
    if (err instanceof PolicyError) {
      throw new UsageError(
        `${path}: ${err.issues.map((i) => `${i.key}: ${i.message}`).join('; ')}`,
      );
    }
    throw err;
  }
}

/**
 * Check that a subject may be asked for: an address only under a policy (`--policy`, the one the
 * log was written under) that keeps full addresses. A usage error (exit 2) says why not.
 */
export async function checkSubjectPolicy(
  subject: Subject | undefined,
  spec: string | undefined,
  command: string,
): Promise<void> {
  if (subject === undefined || !('ip' in subject)) return;
  if (spec === undefined) {
    throw new UsageError(
      `${command}: a subject by address needs --policy, the policy the log was written under: only one that keeps full addresses can find one person's records by address`,
    );
  }
  const refusal = addressRefusal([await loadPolicy(spec)]);
  if (refusal !== undefined) {
    throw new UsageError(`${command}: subject by address refused: ${refusal}`);
  }
}
