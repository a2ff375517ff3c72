/**
 * The record of erasures an append-only log could not carry out. A log that cannot delete a line
 * keeps the subject's records until it is rotated away; what it can do is remember that an
 * erasure was asked, and never serve those records again. The ledger is a small sidecar file next
 * to the log (`<log>.erasures`), one JSON line per request: when it was asked, and a SHA-256 digest
 * of the subject key, so that the sidecar does not itself store the erased e-mail address or
 * visitor id in clear (a digest of an e-mail address can still be matched against a guess: the
 * sidecar has the log's own file mode and protection).
 */
import { createHash } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import type { AccessRecord } from '../record.js';
import { subjectValue } from './retention.js';
import type { Subject } from './store.js';

/** One line of the sidecar. */
interface LedgerLine {
  /** ISO time the erasure was asked. */
  at: string;
  /** Digest of the subject key, see {@link subjectDigest}. */
  subject: string;
}

/** The digest of a subject key, or undefined for a blank key (which matches nothing). */
export function subjectDigest(subject: Subject): string | undefined {
  const { kind, value } = subjectValue(subject);
  if (value === '') return undefined;
  return createHash('sha256').update(`${kind}:${value}`).digest('hex');
}

/** The digests of every subject a record belongs to. */
function recordDigests(record: AccessRecord): string[] {
  const out: string[] = [];
  const visitorId = record.nonessential?.visitorId;
  if (typeof visitorId === 'string') {
    const digest = subjectDigest({ visitorId });
    if (digest !== undefined) out.push(digest);
  }
  const email = record.optional?.email;
  if (typeof email === 'string') {
    const digest = subjectDigest({ email });
    if (digest !== undefined) out.push(digest);
  }
  const ip = record.client?.ip;
  if (typeof ip === 'string') {
    const digest = subjectDigest({ ip });
    if (digest !== undefined) out.push(digest);
  }
  return out;
}

/** The erasures asked of one append-only log, persisted in its sidecar file. */
export class ErasureLedger {
  /** The sidecar's path. */
  readonly path: string;
  readonly #mode: number;
  /** Digest to the latest time (epoch ms) an erasure of that subject was asked. */
  #asked = new Map<string, number>();
  #loading: Promise<void> | undefined;

  /**
   * @param path the sidecar file, created on the first erasure.
   * @param mode its file mode when created.
   */
  constructor(path: string, mode: number) {
    this.path = path;
    this.#mode = mode;
  }

  /** Read the sidecar once; a missing file is an empty ledger, a torn line is skipped. */
  load(): Promise<void> {
    this.#loading ??= readFile(this.path, 'utf8').then(
      (text) => {
        for (const line of text.split('\n')) this.#note(parseLine(line));
      },
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') {
          this.#loading = undefined;
          throw error;
        }
      },
    );
    return this.#loading;
  }

  /** Record that the subject's records up to `at` were asked to be erased. */
  async add(subject: Subject, at: Date): Promise<void> {
    await this.load();
    const digest = subjectDigest(subject);
    if (digest === undefined) return;
    const line: LedgerLine = { at: at.toISOString(), subject: digest };
    await appendFile(this.path, `${JSON.stringify(line)}\n`, { mode: this.#mode });
    this.#note(line);
  }

  /** Whether an erasure asked after the record was written covers it. Call after {@link load}. */
  covers(record: AccessRecord): boolean {
    if (this.#asked.size === 0) return false;
    const time = Date.parse(record.time);
    for (const digest of recordDigests(record)) {
      const at = this.#asked.get(digest);
      // A record whose time does not parse is hidden rather than served: the safe way to be wrong.
      if (at !== undefined && (Number.isNaN(time) || time <= at)) return true;
    }
    return false;
  }

  #note(line: LedgerLine | undefined): void {
    if (line === undefined) return;
    const at = Date.parse(line.at);
    if (Number.isNaN(at)) return;
    this.#asked.set(line.subject, Math.max(this.#asked.get(line.subject) ?? at, at));
  }
}

function parseLine(line: string): LedgerLine | undefined {
  if (line.trim() === '') return undefined;
  try {
    const value = JSON.parse(line) as Partial<LedgerLine>;
    if (typeof value.at === 'string' && typeof value.subject === 'string') {
      return { at: value.at, subject: value.subject };
    }
  } catch {
    // A torn last line after a crash: the request before it still counts.
  }
  return undefined;
}
