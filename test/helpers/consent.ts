import { compilePolicy } from '../../src/policy/compile.js';
import { definePolicy } from '../../src/policy/define.js';
import { presets } from '../../src/policy/presets.js';

type PolicyInput = Parameters<typeof definePolicy>[0];

/** The value of the consent cookie a policy sets on opt-in (`in` and what the consent covers). */
export function consentValue(policy: PolicyInput = presets.gdpr): string {
  return compilePolicy(definePolicy(policy)).consentValue;
}

/** A Cookie header holding a consent given under `policy` (the `gdpr` preset by default). */
export function consentCookie(policy: PolicyInput = presets.gdpr, name = 'pl_choice'): string {
  return `${name}=${consentValue(policy)}`;
}
