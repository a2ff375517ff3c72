import { StoreSet } from '../privacy/store-set.js';
import { consentQueryOf, storeConsents } from '../privacy/subject-consents.js';
import type { ConsentQuery } from '../stores/consent-events.js';
import { noPositionals, parseCommand, parseSubject, parseTime, STORE_OPTIONS } from './args.js';
import type { CommandContext } from './context.js';
import { CliError, UsageError } from './errors.js';

/**
 * `consents`: the consent ledger, oldest first: every change of choice, or those of one visitor
 * (`--subject visitor:<id>`) or a time range, with the policy version and notice hash in force.
 */
export async function consentsCommand(context: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('consents', args, {
    ...STORE_OPTIONS,
    subject: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
  });
  noPositionals('consents', positionals);
  const query: ConsentQuery = {};
  if (values.subject !== undefined) {
    const subject = parseSubject(values.subject, 'consents');
    const byVisitor = consentQueryOf(subject);
    if (byVisitor === undefined) {
      throw new UsageError(
        'consents: the ledger names a browser only by its visitor id; use --subject visitor:<id>',
      );
    }
    Object.assign(query, byVisitor);
  }
  const from = parseTime(values.from, '--from');
  const to = parseTime(values.to, '--to');
  if (from !== undefined) query.from = new Date(from);
  if (to !== undefined) query.to = new Date(to);
  return context.withStore(values, async (opened) => {
    const set = new StoreSet([opened.store]);
    const [entry] = set.with('readConsents');
    if (entry === undefined) {
      throw new CliError(`the store at ${opened.label} keeps no consent ledger`);
    }
    const events = await storeConsents(set, entry, query);
    if (values.json) return context.printJson({ count: events.length, consents: events });
    if (events.length === 0) {
      context.print('No consent events.');
      return 0;
    }
    for (const e of events) {
      const how = e.signal === undefined ? e.source : `${e.source} (${e.signal})`;
      context.print(
        `${e.time}  ${e.choice === 'in' ? 'in ' : 'out'}  ${how.padEnd(12)}  ${e.policy}  notice ${e.notice.slice(0, 12)}  ${e.visitorId ?? '(no visitor id)'}`,
      );
    }
    context.print(`${events.length} consent events.`);
    return 0;
  });
}
