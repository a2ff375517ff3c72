import { createRequire } from 'node:module';
import type * as Tldts from 'tldts';

let tldts: Pick<typeof Tldts, 'parse'> | undefined;
/**
 * tldts, loaded the first time a path holds something shaped like an e-mail address: importing the
 * package must not compile its public-suffix list for apps that never meet one.
 */
function parseHost(host: string, options: Parameters<typeof Tldts.parse>[1]) {
  tldts ??= createRequire(import.meta.url)('tldts') as Pick<typeof Tldts, 'parse'>;
  return tldts.parse(host, options);
}

import type { RedactionBudget } from './budget.js';

/** What stands in for an e-mail address. */
export const REDACTED_EMAIL = '[redacted-email]';

// Characters that end an e-mail address in a URL or a header value: whitespace, the URL
// delimiters, quotes and brackets. Everything else (`+`, `.`, `%`, `:`, non-ASCII) may stand in a
// local part.
const NOT_LOCAL = new Uint8Array(128);
for (let code = 0; code <= 0x20; code++) NOT_LOCAL[code] = 1;
for (const char of '@/?#&=;,<>()[]{}"\'`|\\\x7f') NOT_LOCAL[char.charCodeAt(0)] = 1;

const DOT = 0x2e;

const isLocal = (code: number): boolean => code >= 128 || NOT_LOCAL[code] === 0;

/** Letters, digits, `-` and non-ASCII (internationalised names): what a domain label holds. */
function isLabelChar(code: number): boolean {
  if (code >= 128) return true;
  const lower = code | 0x20;
  return (lower >= 0x61 && lower <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x2d;
}

// Names reserved for private and special use (RFC 6761, RFC 6762 and its appendix G, and
// `internal`): mail to them exists inside organisations though no public suffix list names them.
const PRIVATE_USE = new Set([
  'corp',
  'example',
  'home',
  'internal',
  'intranet',
  'invalid',
  'lan',
  'local',
  'localdomain',
  'localhost',
  'private',
  'test',
]);

const PUNYCODE = /^xn--/i;

const SUFFIX_OPTIONS = {
  allowPrivateDomains: false,
  detectIp: false,
  extractHostname: false,
  mixedInputs: false,
  validateHostname: false,
} as const;

/**
 * Whether `label` ends a mail domain: a top-level domain of the public suffix list's ICANN part,
 * or a private-use name. This is what tells `logo@2x.png` (an image at twice the density) from an
 * address. Without budget, any name of two or more letters counts.
 */
function isTopLevel(label: string, budget: RedactionBudget): boolean {
  if (label.length < 2) return false;
  if (!PUNYCODE.test(label)) {
    for (let i = 0; i < label.length; i++) {
      const code = label.charCodeAt(i);
      const lower = code | 0x20;
      if (code < 128 && !(lower >= 0x61 && lower <= 0x7a)) return false;
    }
  }
  if (budget.checks <= 0) return true;
  const lower = label.toLowerCase();
  if (PRIVATE_USE.has(lower)) return true;
  budget.checks--;
  return parseHost(lower, SUFFIX_OPTIONS).isIcann === true;
}

/**
 * Where the mail domain that starts at `from` ends: after the last of its labels that is a
 * top-level domain, so `jane@example.com.pdf` gives the end of `example.com`. -1 when there is no
 * such domain of at least two labels.
 */
function domainEnd(text: string, from: number, budget: RedactionBudget): number {
  // The extent of the labels: label characters, and single dots between them.
  let end = from;
  while (end < text.length) {
    const code = text.charCodeAt(end);
    const dot =
      code === DOT && end > from && end + 1 < text.length && isLabelChar(text.charCodeAt(end + 1));
    if (!dot && !isLabelChar(code)) break;
    end++;
  }
  // From the last label back to the second: the first top-level domain found ends the address.
  let labelEnd = end;
  for (let i = end - 1; i > from; i--) {
    if (text.charCodeAt(i) !== DOT) continue;
    if (isTopLevel(text.slice(i + 1, labelEnd), budget)) return labelEnd;
    labelEnd = i;
  }
  return -1;
}

/**
 * `text` with each e-mail address replaced by {@link REDACTED_EMAIL}: a local part (everything
 * back to the previous delimiter, however long) and a domain of two or more labels whose last kept
 * label is a top-level domain. Each character is looked at a bounded number of times.
 */
export function redactEmails(text: string, budget: RedactionBudget): string {
  let out = '';
  let last = 0;
  let from = 0;
  for (;;) {
    const at = text.indexOf('@', from);
    if (at === -1) break;
    from = at + 1;
    let start = at;
    // Stops at the previous `@` too, so the scans of two addresses never overlap.
    while (start > last && isLocal(text.charCodeAt(start - 1))) start--;
    if (start === at) continue;
    const end = domainEnd(text, at + 1, budget);
    if (end === -1) continue;
    // The same string when the text is nothing but the address, so callers can tell cheaply.
    if (start === 0 && end === text.length) return REDACTED_EMAIL;
    out += text.slice(last, start) + REDACTED_EMAIL;
    last = end;
    from = end;
  }
  return last === 0 ? text : out + text.slice(last);
}
