import { describe, expect, it, vi } from 'vitest';

// What each library is handed, to show that a huge header never reaches a pattern whole: isbot's
// and ua-parser-js's patterns are not all linear in their input, so the input must be bounded.
const seen = vi.hoisted(() => ({ isbot: [] as number[], uaParser: [] as number[] }));

// The parsers load lazily (src/enrich/parsers.ts); the mock wraps what that module returns.
vi.mock('../../src/enrich/parsers.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/enrich/parsers.js')>();
  return {
    ...actual,
    loadParsers: () => {
      const parsers = actual.loadParsers();
      // ua-parser-js defines its methods on the instance, not the prototype.
      const setUA = parsers.ua.setUA.bind(parsers.ua);
      parsers.ua.setUA = (ua: string) => {
        seen.uaParser.push(ua.length);
        return setUA(ua);
      };
      return {
        ua: parsers.ua,
        isbot: (ua: string) => {
          seen.isbot.push(ua.length);
          return parsers.isbot(ua);
        },
      };
    },
  };
});

const { UserAgentParser } = await import('../../src/enrich/user-agent.js');

describe('per-record User-Agent work is bounded', () => {
  it('a 16 KB header reaches the parser as its head and the bot check as head and tail', () => {
    const parser = new UserAgentParser({ maxLength: 512 });
    const ua = `Mozilla/5.0 (X11; Linux x86_64) ${'ab '.repeat(5_400)} Googlebot/2.1`;
    expect(ua.length).toBeGreaterThan(16_000);
    expect(parser.parse(ua).bot).toBe(true);
    expect(Math.max(...seen.uaParser)).toBeLessThanOrEqual(512);
    expect(Math.max(...seen.isbot)).toBeLessThanOrEqual(2 * 512 + 1);
  });

  it('a short header reaches both whole', () => {
    seen.isbot.length = 0;
    seen.uaParser.length = 0;
    const ua = 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0';
    new UserAgentParser().parse(ua);
    expect(seen.uaParser).toEqual([ua.length]);
    expect(seen.isbot).toEqual([ua.length]);
  });
});
