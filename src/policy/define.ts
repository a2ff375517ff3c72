import type { DefinedPolicy } from '../types/policy.js';
import { checkPolicy } from './checks.js';
import { fromZodIssues, PolicyError } from './errors.js';
import { type PolicyInput, policySchema } from './schema.js';

/**
 * The policies this module validated. Private to the module: a mark on the object itself (a global
 * symbol, say) could be copied onto any object, which would then skip validation and its defaults.
 * Weak, so that a policy no longer used can be collected.
 */
const defined = new WeakSet<object>();

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

export type { DefinedPolicy };

/**
 * Validate a policy and return it frozen, with every default filled in. Throws {@link PolicyError}
 * naming each bad key. A defined policy is valid input again, so presets can be spread and extended:
 * `definePolicy({ ...presets.gdpr, name: 'my-site' })`.
 */
export function definePolicy(input: PolicyInput, keyPrefix = 'policy'): DefinedPolicy {
  if (isDefinedPolicy(input)) return input;
  const schema = policySchema();
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new PolicyError(fromZodIssues(parsed.error.issues, schema, input, keyPrefix));
  }
  const issues = checkPolicy(parsed.data, keyPrefix);
  if (issues.length > 0) throw new PolicyError(issues);
  const policy = deepFreeze(parsed.data);
  defined.add(policy);
  return policy;
}

/**
 * True for an object returned by {@link definePolicy} itself: not a copy, and not an object from
 * another copy of this library, which are validated again.
 */
export function isDefinedPolicy(value: unknown): value is DefinedPolicy {
  return typeof value === 'object' && value !== null && defined.has(value);
}
