import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AccessRecord } from '../../src/record.js';
import { contractRecord, daysAfter } from '../../src/testing/contract-records.js';

/**
 * Recognisable strings for on-disk erasure tests: each one occurs only in the records built with
 * it, so any byte of it found afterwards is a leftover of an erased or purged record.
 */
export function markers(tag: string): { visitor: string; email: string; path: string } {
  const unique = `${tag}${process.pid}${Date.now().toString(36)}`;
  return {
    visitor: `vid-MARK-${unique}-visitor`,
    email: `mark-${unique}@erase-me.example`,
    path: `/MARK-${unique}-path`,
  };
}

let counter = 7000;

/**
 * A record carrying the markers: the visitor id, an e-mail in the optional data, and the path.
 * `time` lets a test make it expired (for purges) or live (for erasures).
 */
export function markedRecord(
  mark: { visitor: string; email: string; path: string },
  time = new Date().toISOString(),
): AccessRecord {
  counter++;
  const base = contractRecord(counter, { time });
  return contractRecord(counter, {
    time,
    essential: { ...base.essential, path: mark.path },
    nonessential: { referrer: 'https://example.org', visitorId: mark.visitor },
    optional: { email: mark.email },
    expires: {
      client: daysAfter(time, 7),
      nonessential: daysAfter(time, 30),
      optional: daysAfter(time, 30),
      essential: daysAfter(time, 90),
    },
  });
}

/** Filler records, so that erased rows share pages with rows that stay. */
export function fillerRecords(count: number, time = new Date().toISOString()): AccessRecord[] {
  return Array.from({ length: count }, () => {
    counter++;
    return contractRecord(counter, { time });
  });
}

/** Which of `needles` occur in `bytes` (as UTF-8), each with how many times. */
export function occurrences(bytes: Buffer, needles: readonly string[]): Record<string, number> {
  const found: Record<string, number> = {};
  for (const needle of needles) {
    let n = 0;
    let at = bytes.indexOf(needle);
    while (at !== -1) {
      n++;
      at = bytes.indexOf(needle, at + 1);
    }
    if (n > 0) found[needle] = n;
  }
  return found;
}

/** Every file of a folder whose name starts with `prefix`, with the markers found in it. */
export async function searchFiles(
  dir: string,
  prefix: string,
  needles: readonly string[],
): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const name of await readdir(dir)) {
    if (!name.startsWith(prefix)) continue;
    const found = occurrences(await readFile(join(dir, name)), needles);
    if (Object.keys(found).length > 0) out[name] = found;
  }
  return out;
}
