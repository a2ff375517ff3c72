import { expect } from 'vitest';
import type { ContractRunner } from '../../src/testing/store-contract.js';

/** How one test of a suite run by {@link recordingRunner} ended. */
export interface Outcome {
  /** The test's name, prefixed by the names of its suites (`suite > test`). */
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  error?: unknown;
}

type Body = () => Promise<void>;

/**
 * A test runner in a few lines, to run the store contract inside a test and look at how each of
 * its tests ended. With `skip: false` it offers no `it.skip`, as a minimal runner might not.
 */
export function recordingRunner(options: { skip: boolean }) {
  const registered: { name: string; body: Body | undefined }[] = [];
  const suites: string[] = [];
  const fullName = (name: string): string => [...suites, name].join(' > ');
  const it = Object.assign(
    (name: string, body: Body): void => {
      registered.push({ name: fullName(name), body });
    },
    options.skip
      ? {
          skip: (name: string, _body: Body): void => {
            registered.push({ name: fullName(name), body: undefined });
          },
        }
      : {},
  );
  const runner: ContractRunner = {
    describe(name, body) {
      suites.push(name);
      try {
        body();
      } finally {
        suites.pop();
      }
    },
    it,
    expect,
  };
  return {
    runner,
    /** Run every registered test, one after another. */
    async run(): Promise<Outcome[]> {
      const outcomes: Outcome[] = [];
      for (const { name, body } of registered) {
        if (body === undefined) {
          outcomes.push({ name, status: 'skipped' });
          continue;
        }
        try {
          await body();
          outcomes.push({ name, status: 'passed' });
        } catch (error) {
          outcomes.push({ name, status: 'failed', error });
        }
      }
      return outcomes;
    },
  };
}
