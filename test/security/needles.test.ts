import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NeedleList, scanText } from '../../src/security/decode.js';

/** Characters that markers, breakers and folds are made of, and a few beyond ASCII. */
const ALPHABET = [
  ...'abcdeilmnoprstuvxyzAEOS0123456789 \'"(),-./:;<=>?@\\_*%+\t\u007f\u00c0\u00e0\u00e9\u00c9\u0130\u2028',
];
const text = (max: number) =>
  fc.array(fc.constantFrom(...ALPHABET), { maxLength: max }).map((chars) => chars.join(''));

const naiveCount = (t: string, needles: readonly string[]) =>
  needles.filter((needle) => t.includes(needle)).length;

describe('NeedleList: the characters a text holds rule needles out, never in', () => {
  it('finds and counts exactly what a search for each needle finds', () => {
    fc.assert(
      fc.property(
        fc.array(
          text(6).filter((n) => n.length > 0),
          { minLength: 1, maxLength: 12 },
        ),
        fc.array(text(40), { minLength: 1, maxLength: 5 }),
        (needles, texts) => {
          const list = new NeedleList(needles);
          for (const t of texts) {
            // Needles sometimes occur: plant one in the text.
            for (const sample of [t, `${t}${needles[0]}${t}`]) {
              const held = NeedleList.charsOf(sample);
              expect(list.countAny(sample, held)).toBe(naiveCount(sample, needles));
              expect(list.some(held, (needle) => sample.includes(needle))).toBe(
                naiveCount(sample, needles) > 0,
              );
              const seen: string[] = [];
              list.some(held, (needle) => {
                if (sample.includes(needle)) seen.push(needle);
                return false;
              });
              expect(seen).toEqual(needles.filter((needle) => sample.includes(needle)));
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('scanText still lower-cases a text without anything to decode or fold, and only such a text', () => {
    const breakers = ['%', '+', '\\', '/*', ' ', '\t', '\u00c0', '\u00c1', '\u00e0'];
    fc.assert(
      fc.property(text(60), (t) => {
        const plain = !breakers.some((b) => t.includes(b));
        if (plain) expect(scanText(t)).toBe(t.toLowerCase());
        // A text with non-ASCII characters but no breaker is plain too (É lower-cases to é).
        if (plain && /\u00c9/.test(t)) expect(scanText(t)).toContain('\u00e9');
      }),
      { numRuns: 2000 },
    );
  });
});
