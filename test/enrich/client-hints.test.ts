import { describe, expect, it } from 'vitest';
import { captureHints, parseClientHints } from '../../src/enrich/client-hints.js';
import { UserAgentParser } from '../../src/enrich/user-agent.js';

/** A brand as a structured-field string: backslash and quote escaped. */
const sfString = (brand: string): string => `"${brand.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/**
 * GREASE brands as Chromium builds them: the words Not, A and Brand with punctuation between (and,
 * in older releases, before them), drawn from these sets by a per-release seed.
 */
const GREASY = [' ', '(', ':', '-', '.', '/', ')', ';', '=', '?', '_'];
const GREASE_BRANDS: string[] = [
  ...GREASY.map((_, seed) => {
    const at = (i: number) => GREASY[i % GREASY.length];
    return `Not${at(seed)}A${at(seed + 1)}Brand`;
  }),
  // Chrome 85 to 102: a separator before each word.
  ' Not A;Brand',
  ' Not;A Brand',
  ';Not A Brand',
  // Chrome 84 and 85 escaped characters.
  '\\Not"A;Brand',
  '"Not\\A;Brand',
  '(Not(A:Brand',
  'Not/A)Brand',
  'Not_A Brand',
  'Not?A_Brand',
];

describe('GREASE brands in Sec-CH-UA', () => {
  it.each(GREASE_BRANDS)('%j is skipped first, in the middle and last', (grease) => {
    const g = `${sfString(grease)};v="99"`;
    const chrome = '"Google Chrome";v="131"';
    const engine = '"Chromium";v="131"';
    for (const ua of [
      `${g}, ${chrome}, ${engine}`,
      `${chrome}, ${g}, ${engine}`,
      `${engine}, ${chrome}, ${g}`,
    ]) {
      expect(parseClientHints({ ua }).browser).toEqual({ name: 'Chrome', major: '131' });
    }
    expect(parseClientHints({ ua: `${g}, ${engine}` }).browser).toEqual({
      name: 'Chromium',
      major: '131',
    });
    expect(parseClientHints({ ua: g }).browser).toBeUndefined();
  });

  it('is skipped in the full version list as well', () => {
    const parsed = parseClientHints({
      ua: '";Not A Brand";v="99", "Microsoft Edge";v="120", "Chromium";v="120"',
      fullVersionList:
        '";Not A Brand";v="99.0.0.0", "Microsoft Edge";v="120.0.2210.91", "Chromium";v="120.0.6099.130"',
    });
    expect(parsed.browser).toEqual({ name: 'Edge', major: '120' });
  });

  it('a GREASE brand never names the browser through the User-Agent parser', () => {
    const parser = new UserAgentParser();
    const ua =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/98.0.4758.102 Safari/537.36';
    for (const grease of GREASE_BRANDS) {
      const hints = captureHints({
        'sec-ch-ua': `${sfString(grease)};v="99", "Chromium";v="98", "Google Chrome";v="98"`,
      });
      expect(parser.parse(ua, hints).browser).toEqual({ name: 'Chrome', major: '98' });
    }
  });

  it('a real brand that only looks alike is kept', () => {
    expect(parseClientHints({ ua: '"Notable Browser";v="3"' }).browser?.name).toBe(
      'Notable Browser',
    );
    expect(parseClientHints({ ua: '"Brand";v="3"' }).browser?.name).toBe('Brand');
  });
});
