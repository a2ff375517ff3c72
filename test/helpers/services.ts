import { describe, it } from 'vitest';

/** The external servers some suites need, and the variable that says where each one is. */
const SERVICES = {
  PG_URL: 'PostgreSQL',
  REDIS_URL: 'Redis',
} as const;

/**
 * A suite that needs a server: it runs when the variable is set (sequentially: its tests share the
 * server). Without it, the suite is skipped with the reason in its name, except under CI (`CI`
 * set), where a missing server is a failure, never a silent skip.
 */
export function serviceSuite(
  variable: keyof typeof SERVICES,
  name: string,
  body: (url: string) => void,
): void {
  const url = process.env[variable];
  if (url !== undefined && url !== '') {
    describe.sequential(name, () => body(url));
    return;
  }
  const reason = `${variable} is not set, so no ${SERVICES[variable]} server to test against`;
  if (process.env.CI) {
    describe(name, () => {
      it(`needs ${SERVICES[variable]}`, () => {
        throw new Error(`${reason}; CI must provide it (see .ci/run)`);
      });
    });
    return;
  }
  // The body is not collected: it would connect to a server that is not there.
  describe.skip(`${name} (skipped: ${reason})`, () => {
    it(`needs ${SERVICES[variable]}`, () => {});
  });
}

/** A name unique to this test process, for tables and key prefixes that parallel files must not share. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}`;
}

/**
 * A suite that needs several servers at once: like {@link serviceSuite}, with every variable set;
 * the body gets the URLs in the order asked.
 */
export function servicesSuite(
  variables: readonly (keyof typeof SERVICES)[],
  name: string,
  body: (urls: string[]) => void,
): void {
  const missing = variables.filter((v) => !process.env[v]);
  if (missing.length === 0) {
    describe.sequential(name, () => body(variables.map((v) => process.env[v]!)));
    return;
  }
  const needs = missing.map((v) => SERVICES[v]).join(' and ');
  const reason = `${missing.join(', ')} not set, so no ${needs} server to test against`;
  if (process.env.CI) {
    describe(name, () => {
      it(`needs ${needs}`, () => {
        throw new Error(`${reason}; CI must provide it (see .ci/run)`);
      });
    });
    return;
  }
  describe.skip(`${name} (skipped: ${reason})`, () => {
    it(`needs ${needs}`, () => {});
  });
}
