import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { purgeStores } from '../privacy/retention.js';
import { StoreSet } from '../privacy/store-set.js';
import { consentQueryOf, storeConsents } from '../privacy/subject-consents.js';
import { createSubjectsApi, subjectRecords } from '../privacy/subjects.js';
import { CATEGORIES, type Category } from '../record.js';
import { isHeld, isReviewDue } from '../stores/hold-scope.js';
import { isExpired, STRIPPABLE_CATEGORIES } from '../stores/retention.js';
import type { Hold } from '../stores/store.js';
import { noPositionals, parseCommand, parseSubject, STORE_OPTIONS } from './args.js';
import type { CommandContext } from './context.js';
import { CliError } from './errors.js';
import { PrivateFile } from './private-file.js';
import { Progress } from './progress.js';

/** A diagnostic logger that keeps quiet: the command prints its own result. */
const SILENT = { warn() {}, error() {}, info() {} };

/** `purge`: apply retention now; counts per category and of deleted records. */
export async function purgeCommand(context: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('purge', args, STORE_OPTIONS);
  noPositionals('purge', positionals);
  return context.withStore(values, async (opened) => {
    const set = new StoreSet([opened.store]);
    if (set.with('purge').length === 0) {
      throw new CliError(`the store at ${opened.label} cannot purge`);
    }
    const progress = new Progress(context.io.stderr, `purging ${opened.label}`);
    // Traffic reports: records are rolled up before retention may delete them.
    const { rollUpBeforePurge } = await import('../reports/purge-guard.js');
    const upTo = await rollUpBeforePurge(opened.store, context.now());
    const report = await purgeStores(set, upTo, SILENT);
    progress.done();
    const result = report.stores[0];
    if (result?.error !== undefined) throw new CliError(`purge failed: ${result.error}`);
    if (values.json) return context.printJson(report);
    const removed = STRIPPABLE_CATEGORIES.map(
      (category) => `${category} ${report.removed[category] ?? 0}`,
    ).join(', ');
    context.print(`Purged ${opened.label} at ${report.now}.`);
    context.print(`Categories removed: ${removed}.`);
    context.print(`Records deleted: ${report.deleted}.`);
    return 0;
  });
}

/**
 * `export --subject`: every record of a subject, as JSON, to standard output or `--out`. Records
 * are streamed, so an export never has to fit in memory.
 */
export async function exportCommand(context: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('export', args, {
    ...STORE_OPTIONS,
    subject: { type: 'string' },
    policy: { type: 'string', short: 'p' },
    out: { type: 'string', short: 'o' },
  });
  noPositionals('export', positionals);
  const subject = parseSubject(values.subject, 'export');
  await (await policyChecks()).checkSubjectPolicy(subject, values.policy, 'export');
  return context.withStore(values, async (opened) => {
    const set = new StoreSet([opened.store]);
    if (set.with('read').length === 0) {
      throw new CliError(`the store at ${opened.label} cannot be read`);
    }
    // Opened before anything is read, so that a bad path fails at once.
    const file = values.out === undefined ? undefined : await PrivateFile.create(values.out);
    const stdout = context.io.stdout as Writable;
    const write = async (text: string): Promise<void> => {
      if (file !== undefined) await file.write(text);
      else if (!stdout.write(text)) await once(stdout, 'drain');
    };
    const progress = new Progress(context.io.stderr, 'exporting');
    let count = 0;
    let held = 0;
    try {
      await write(
        `{\n  "exportedAt": ${JSON.stringify(context.now().toISOString())},\n  "records": [`,
      );
      for await (const entry of subjectRecords(set, subject)) {
        const item = JSON.stringify({ held: entry.held, record: entry.record });
        await write(`${count === 0 ? '' : ','}\n    ${item}`);
        count++;
        if (entry.held) held++;
        progress.tick();
      }
      // The subject's consent events (the ledger names a browser only by its visitor id).
      const query = consentQueryOf(subject);
      const [ledger] = set.with('readConsents');
      const consents =
        query === undefined || ledger === undefined ? [] : await storeConsents(set, ledger, query);
      await write(
        `${count === 0 ? '' : '\n  '}],\n  "count": ${count},\n  "held": ${held},\n  "consents": ${JSON.stringify(consents)}\n}\n`,
      );
      await file?.commit();
    } finally {
      await file?.discard();
    }
    progress.done();
    if (values.out !== undefined) {
      context.info(`Exported ${count} records (${held} held) to ${values.out}.`);
    }
    return 0;
  });
}

/** `erase --subject`: erase a subject's records; held ones stay and are counted. */
export async function eraseCommand(context: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('erase', args, {
    ...STORE_OPTIONS,
    subject: { type: 'string' },
    policy: { type: 'string', short: 'p' },
  });
  noPositionals('erase', positionals);
  const subject = parseSubject(values.subject, 'erase');
  await (await policyChecks()).checkSubjectPolicy(subject, values.policy, 'erase');
  return context.withStore(values, async (opened) => {
    const set = new StoreSet([opened.store]);
    if (set.with('erase').length === 0) {
      throw new CliError(`the store at ${opened.label} cannot erase records`);
    }
    const result = await createSubjectsApi(set, async () => {}, context.now).erase(subject);
    const [failed] = result.unavailable;
    if (failed !== undefined) throw new CliError(`erasure failed: ${failed.reason}`);
    if (values.json) return context.printJson(result);
    context.print(
      `Erased ${result.erased} ${result.erased === 1 ? 'record' : 'records'} from ${opened.label}.`,
    );
    if (result.held > 0) {
      context.print(
        `Kept ${result.held} ${result.held === 1 ? 'record' : 'records'} under legal hold; they go once the hold is released.`,
      );
    }
    return 0;
  });
}

/** What `stats` reports about a store. */
export interface StoreReport {
  store: string;
  records: number;
  /** Records under legal hold. */
  held: number;
  oldest: string | null;
  newest: string | null;
  /** Records that hold each category. */
  categories: Record<Category, number>;
  /** Categories whose retention has ended and that the next purge removes (held records aside). */
  expired: Partial<Record<Category, number>>;
  holds: number;
  holdsReviewDue: number;
}

/** `stats`: what the store keeps, by category, and what is due for purge. */
export async function statsCommand(context: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('stats', args, STORE_OPTIONS);
  noPositionals('stats', positionals);
  return context.withStore(values, async (opened) => {
    const { store } = opened;
    if (typeof store.read !== 'function') {
      throw new CliError(`the store at ${opened.label} cannot be read`);
    }
    const now = context.now();
    const holds: Hold[] = typeof store.holds === 'function' ? await store.holds() : [];
    const report: StoreReport = {
      store: opened.label,
      records: 0,
      held: 0,
      oldest: null,
      newest: null,
      categories: Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>,
      expired: {},
      holds: holds.length,
      holdsReviewDue: holds.filter((hold) => isReviewDue(hold, now)).length,
    };
    const progress = new Progress(context.io.stderr, 'counting');
    for await (const record of store.read({})) {
      report.records++;
      if (report.oldest === null || record.time < report.oldest) report.oldest = record.time;
      if (report.newest === null || record.time > report.newest) report.newest = record.time;
      const heldNow = isHeld(record, holds);
      if (heldNow) report.held++;
      for (const category of CATEGORIES) {
        if (record[category] === undefined) continue;
        report.categories[category]++;
        const expiry = record.expires[category];
        if (!heldNow && expiry !== undefined && isExpired(expiry, now.getTime())) {
          report.expired[category] = (report.expired[category] ?? 0) + 1;
        }
      }
      progress.tick();
    }
    progress.done();
    if (values.json) return context.printJson(report);
    const list = (counts: Partial<Record<Category, number>>) =>
      CATEGORIES.map((category) => `${category} ${counts[category] ?? 0}`).join(', ');
    context.print(`Store: ${report.store}`);
    context.print(`Records: ${report.records} (${report.held} under legal hold)`);
    if (report.oldest !== null) context.print(`Time span: ${report.oldest} to ${report.newest}`);
    context.print(`By category: ${list(report.categories)}`);
    context.print(`Due for purge: ${list(report.expired)}`);
    context.print(
      `Legal holds: ${report.holds}${report.holdsReviewDue > 0 ? ` (${report.holdsReviewDue} past their review date)` : ''}`,
    );
    return 0;
  });
}

/**
 * The policy checks for subjects by address, loaded when an export or erasure runs: they need the
 * policy schema (zod), which counting or listing records does not.
 */
function policyChecks(): Promise<typeof import('./policy.js')> {
  return import('./policy.js');
}
