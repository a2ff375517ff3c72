import type fc from 'fast-check';

/**
 * Options for `fc.assert`: `numRuns` runs, or `FUZZ_RUNS` for a longer session. fast-check prints
 * the seed and path of a failure; `FUZZ_SEED` and `FUZZ_PATH` replay it.
 */
export function runOptions<T>(numRuns: number): fc.Parameters<T> {
  const options: fc.Parameters<T> = { numRuns: Number(process.env.FUZZ_RUNS ?? numRuns) };
  if (process.env.FUZZ_SEED !== undefined) options.seed = Number(process.env.FUZZ_SEED);
  if (process.env.FUZZ_PATH !== undefined) options.path = process.env.FUZZ_PATH;
  return options;
}
