import { checkPolicy } from './checks.js';
import { fromZodIssues, PolicyError } from './errors.js';
import { type Policy, type PolicyInput, policySchema } from './schema.js';

const DEFINED = Symbol.for('express-privacy-log.policy');

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** A validated, frozen policy. */
export type DefinedPolicy = Readonly<Policy>;

/**
 * Validate a policy and return it frozen, with every default filled in. Throws {@link PolicyError}
 * naming each bad key. A defined policy is valid input again, so presets can be spread and extended:
 * `definePolicy({ ...presets.gdpr, name: 'my-site' })`.
 */
export function definePolicy(input: PolicyInput, keyPrefix = 'policy'): DefinedPolicy {
  if (isDefinedPolicy(input)) return input;
  const parsed = policySchema.safeParse(input);
  if (!parsed.success) {
    throw new PolicyError(fromZodIssues(parsed.error.issues, policySchema, input, keyPrefix));
  }
  const issues = checkPolicy(parsed.data, keyPrefix);
  if (issues.length > 0) throw new PolicyError(issues);
  Object.defineProperty(parsed.data, DEFINED, { value: true });
  return deepFreeze(parsed.data);
}

/** True for an object returned by {@link definePolicy} (and not since copied). */
export function isDefinedPolicy(value: unknown): value is DefinedPolicy {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, DEFINED);
}
