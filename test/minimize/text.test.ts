import { describe, expect, it } from 'vitest';
import { cleanText, ELLIPSIS } from '../../src/minimize/text.js';

const hex4 = (code: number) => `\\u${code.toString(16).padStart(4, '0')}`;

describe('cleanText', () => {
  it('returns clean text within the limit unchanged', () => {
    const text = '/products/42?q=shoes — naïve café 😀';
    expect(cleanText(text, 100)).toBe(text);
    expect(cleanText('', 10)).toBe('');
  });

  it('escapes every C0 control, DEL and every C1 control', () => {
    const codes = [
      ...Array.from({ length: 0x20 }, (_, i) => i),
      0x7f,
      ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i),
    ];
    for (const code of codes) {
      const out = cleanText(`a${String.fromCharCode(code)}b`, 100);
      expect(out).toBe(`a${hex4(code)}b`);
    }
  });

  it('escapes CR, LF, NUL and ESC so a forged line stays on one line', () => {
    const forged = 'GET /\r\n127.0.0.1 - admin "GET /secret" 200\u0000\u001b[2J';
    const out = cleanText(forged, 1000);
    for (const unit of ['\r', '\n', '\u0000', '\u001b']) expect(out.includes(unit)).toBe(false);
    expect(out).toBe('GET /\\u000d\\u000a127.0.0.1 - admin "GET /secret" 200\\u0000\\u001b[2J');
  });

  it('escapes U+2028, U+2029 and bidirectional overrides', () => {
    expect(cleanText('a\u2028b\u2029c', 100)).toBe('a\\u2028b\\u2029c');
    expect(cleanText('x\u202ey\u2066z\u200f', 100)).toBe('x\\u202ey\\u2066z\\u200f');
  });

  it('leaves printable characters just outside the escaped ranges alone', () => {
    for (const text of [' ', '~', '\u00a0', '\u00ff', '\u2027', '\u202f', '\u2065', '\u206a']) {
      expect(cleanText(text, 10)).toBe(text);
    }
  });

  it('escapes lone surrogates but keeps valid pairs', () => {
    expect(cleanText('a\ud800b', 100)).toBe('a\\ud800b');
    expect(cleanText('a\udc00b', 100)).toBe('a\\udc00b');
    expect(cleanText('\udc00\ud800', 100)).toBe('\\udc00\\ud800');
    expect(cleanText('end\ud83d', 100)).toBe('end\\ud83d');
    expect(cleanText('pair 😀', 100)).toBe('pair 😀');
    expect(cleanText('\ud83d\ud83d\ude00', 100)).toBe('\\ud83d😀');
  });

  it('cuts to at most maxLength characters, ending with one ellipsis', () => {
    const out = cleanText('abcdefghij', 5);
    expect(out).toBe(`abcd${ELLIPSIS}`);
    expect(out).toHaveLength(5);
    expect(cleanText('abcde', 5)).toBe('abcde');
    expect(cleanText('abcdef', 1)).toBe(ELLIPSIS);
    expect(cleanText('abc', 0)).toBe('');
    expect(cleanText('abc', -3)).toBe('');
    expect(cleanText('abc', Number.NaN)).toBe('');
  });

  it('counts escapes in the length and never splits one', () => {
    // 'ab' + 6-character escape + 'cd' = 10 characters.
    expect(cleanText('ab\ncd', 10)).toBe('ab\\u000acd');
    for (let max = 3; max <= 8; max++) {
      const out = cleanText('ab\ncd', max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out).toBe(`ab${ELLIPSIS}`);
    }
    expect(cleanText('ab\ncd', 9)).toBe(`ab\\u000a${ELLIPSIS}`);
    expect(cleanText('ab\ncde', 10)).toBe(`ab\\u000ac${ELLIPSIS}`);
  });

  it('cuts before escape-like text in the input too, rather than look inside it', () => {
    expect(cleanText('ab\\u0041cd', 7)).toBe(`ab${ELLIPSIS}`);
    expect(cleanText('ab\\uzzzzcd', 7)).toBe(`ab\\uzz${ELLIPSIS}`);
  });

  it('never splits a surrogate pair when cutting', () => {
    expect(cleanText('a😀b', 3)).toBe(`a${ELLIPSIS}`);
    expect(cleanText('a😀bc', 4)).toBe(`a😀${ELLIPSIS}`);
  });

  it('bounds the output of a long hostile value', () => {
    const out = cleanText('\n'.repeat(100_000), 2048);
    expect(out.length).toBeLessThanOrEqual(2048);
    expect(out.endsWith(`\\u000a${ELLIPSIS}`)).toBe(true);
  });
});
