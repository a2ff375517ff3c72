// Compile-time proof that the hand-written public types say exactly what the zod schemas accept
// and produce: a field added, removed, renamed or retyped on one side only fails the build here.
import type { z } from 'zod';
import type { optionsSchema } from '../options.js';
import type { policySchema } from '../policy/schema.js';
import type { detectSchema } from '../policy/security-detect-schema.js';
import type { DetectInput, DetectSettings } from './detect.js';
import type { PrivacyLogOptions, ResolvedOptions } from './options.js';
import type { Policy } from './policy.js';
import type { PolicyInput } from './policy-input.js';

/**
 * True when A and B are the same type: each assignable to the other, and the same keys with the
 * same optionality at every level (mutual assignability alone lets an optional key go missing).
 */
export type Same<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Fails to compile unless `T` is `true`. */
type Assert<T extends true> = T;

export type SchemaChecks = [
  Assert<Same<PolicyInput, z.input<ReturnType<typeof policySchema>>>>,
  Assert<Same<Policy, z.output<ReturnType<typeof policySchema>>>>,
  Assert<Same<DetectInput | undefined, z.input<ReturnType<typeof detectSchema>>>>,
  Assert<Same<DetectSettings, z.output<ReturnType<typeof detectSchema>>>>,
  Assert<Same<PrivacyLogOptions, z.input<ReturnType<typeof optionsSchema>>>>,
  Assert<Same<ResolvedOptions, z.output<ReturnType<typeof optionsSchema>>>>,
];
