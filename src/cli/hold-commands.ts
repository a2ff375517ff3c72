import { createHoldsApi, futureTime } from '../privacy/holds.js';
import { StoreSet } from '../privacy/store-set.js';
import type { HoldScope } from '../stores/store.js';
import { noPositionals, parseCommand, parseSubject, parseTime, STORE_OPTIONS } from './args.js';
import type { CommandContext } from './context.js';
import { CliError, UsageError } from './errors.js';
import { checkSubjectPolicy } from './policy.js';

/** `holds list|add|extend|release`: legal holds in the store. */
export async function holdsCommand(context: CommandContext, args: string[]): Promise<number> {
  const [action, ...rest] = args;
  switch (action) {
    case 'list':
      return list(context, rest);
    case 'add':
      return add(context, rest);
    case 'extend':
      return extend(context, rest);
    case 'release':
      return release(context, rest);
    case undefined:
      throw new UsageError('holds: say list, add, extend or release; see --help');
    default:
      throw new UsageError(`holds: unknown action "${action}"; use list, add, extend or release`);
  }
}

function holdsApi(context: CommandContext, set: StoreSet, label: string) {
  if (set.with('hold', 'release', 'holds').length === 0) {
    throw new CliError(`the store at ${label} does not support legal holds`);
  }
  return createHoldsApi(set, context.now);
}

async function list(context: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('holds list', args, STORE_OPTIONS);
  noPositionals('holds list', positionals);
  return context.withStore(values, async (opened) => {
    const holds = await holdsApi(context, new StoreSet([opened.store]), opened.label).list();
    if (values.json) {
      return context.printJson(holds.map(({ stores: _stores, ...hold }) => hold));
    }
    if (holds.length === 0) {
      context.print('No legal holds.');
      return 0;
    }
    for (const hold of holds) {
      const due = hold.reviewDue ? '  REVIEW DUE' : '';
      context.print(`${hold.id}  review by ${hold.reviewAt}${due}`);
      context.print(`  reason: ${hold.reason}`);
      context.print(`  scope: ${describeScope(hold.scope)}`);
      context.print(`  placed: ${hold.createdAt}`);
    }
    return 0;
  });
}

const SCOPE_OPTIONS = {
  subject: { type: 'string' },
  policy: { type: 'string', short: 'p' },
  from: { type: 'string' },
  to: { type: 'string' },
  record: { type: 'string', multiple: true },
} as const;

function scopeOf(
  command: string,
  values: { subject?: string; from?: string; to?: string; record?: string[]; all?: boolean },
): HoldScope | undefined {
  const scope: HoldScope = {};
  if (values.subject !== undefined) scope.subject = parseSubject(values.subject, command);
  const from = parseTime(values.from, '--from');
  const to = parseTime(values.to, '--to');
  if (from !== undefined) scope.from = from;
  if (to !== undefined) scope.to = to;
  if (values.record !== undefined) scope.ids = values.record;
  if (Object.keys(scope).length === 0) return values.all ? {} : undefined;
  if (values.all) {
    throw new UsageError(
      `${command}: --all cannot be combined with --subject, --from, --to or --record`,
    );
  }
  return scope;
}

async function add(context: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('holds add', args, {
    ...STORE_OPTIONS,
    ...SCOPE_OPTIONS,
    id: { type: 'string' },
    reason: { type: 'string' },
    review: { type: 'string' },
    all: { type: 'boolean' },
  });
  noPositionals('holds add', positionals);
  if (values.reason === undefined || values.reason.trim() === '') {
    throw new UsageError('holds add: --reason is required (why the records must be kept)');
  }
  if (values.review === undefined) {
    throw new UsageError(
      'holds add: --review is required: a date (2026-06-30) or a duration from now (P90D)',
    );
  }
  // Holding the whole log takes a deliberate --all: an empty scope by omission would be a surprise.
  const scope = scopeOf('holds add', values);
  await checkSubjectPolicy(scope?.subject, values.policy, 'holds add');
  if (scope === undefined) {
    throw new UsageError(
      'holds add: give a scope (--subject, --from, --to, --record) or --all for every record',
    );
  }
  return context.withStore(values, async (opened) => {
    const api = holdsApi(context, new StoreSet([opened.store]), opened.label);
    const placed = await checked(() =>
      api.add({
        ...(values.id === undefined ? {} : { id: values.id }),
        reason: values.reason!,
        scope,
        reviewAt: values.review!,
      }),
    );
    if (values.json) return context.printJson(placed);
    const covered = placed.stores[0]?.covered ?? 0;
    context.print(
      `Placed legal hold ${placed.hold.id} on ${covered} stored ${covered === 1 ? 'record' : 'records'} (and later ones in its scope); review by ${placed.hold.reviewAt}.`,
    );
    return 0;
  });
}

/**
 * `holds extend ID --review WHEN`: a review date only moves later. An earlier one is refused
 * (exit 2) unless `--force` says it is meant: "extend" must never shorten a hold's review quietly.
 */
async function extend(context: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('holds extend', args, {
    ...STORE_OPTIONS,
    reason: { type: 'string' },
    review: { type: 'string' },
    force: { type: 'boolean' },
  });
  const id = positionals[0];
  if (id === undefined) throw new UsageError('holds extend: give the id of the hold');
  noPositionals('holds extend', positionals, 1);
  if (values.review === undefined && values.reason === undefined) {
    throw new UsageError('holds extend: give --review, --reason or both');
  }
  return context.withStore(values, async (opened) => {
    const api = holdsApi(context, new StoreSet([opened.store]), opened.label);
    const current = (await api.list()).find((hold) => hold.id === id);
    if (current === undefined) throw new CliError(`no legal hold with id "${id}"`);
    const reviewAt =
      values.review === undefined
        ? undefined
        : await checked(async () => futureTime(values.review!, context.now(), '--review'));
    const earlier = reviewAt !== undefined && Date.parse(reviewAt) < Date.parse(current.reviewAt);
    if (earlier && !values.force) {
      throw new UsageError(
        `holds extend: --review ${values.review} is ${reviewAt}, earlier than the hold's review date ${current.reviewAt}; give a later date, or add --force to move the review earlier`,
      );
    }
    const placed = await checked(() =>
      api.extend(id, {
        ...(reviewAt === undefined ? {} : { reviewAt }),
        ...(values.reason === undefined ? {} : { reason: values.reason }),
      }),
    );
    if (values.json) return context.printJson({ ...placed, previousReviewAt: current.reviewAt });
    if (earlier) {
      context.print(
        `Moved the review of legal hold ${id} earlier, to ${placed.hold.reviewAt} (was ${current.reviewAt}).`,
      );
    } else if (reviewAt !== undefined && placed.hold.reviewAt !== current.reviewAt) {
      context.print(
        `Extended legal hold ${id}; review by ${placed.hold.reviewAt} (was ${current.reviewAt}).`,
      );
    } else {
      context.print(`Updated legal hold ${id}; review by ${placed.hold.reviewAt}, unchanged.`);
    }
    return 0;
  });
}

async function release(context: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('holds release', args, STORE_OPTIONS);
  const id = positionals[0];
  if (id === undefined) throw new UsageError('holds release: give the id of the hold');
  noPositionals('holds release', positionals, 1);
  return context.withStore(values, async (opened) => {
    const api = holdsApi(context, new StoreSet([opened.store]), opened.label);
    const released = await api.release(id);
    if (!released) throw new CliError(`no legal hold with id "${id}"`);
    if (values.json) return context.printJson({ released: id });
    context.print(`Released legal hold ${id}; its records follow retention again.`);
    return 0;
  });
}

/** Turn the holds API's input errors (a bad date, a bad scope) into usage errors. */
async function checked<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof TypeError)
      throw new UsageError(err.message.replace(/^reviewAt:/, '--review:'));
    throw err;
  }
}

/** A scope in words, for listings. */
export function describeScope(scope: HoldScope): string {
  const parts: string[] = [];
  if (scope.subject !== undefined) {
    parts.push(
      'visitorId' in scope.subject
        ? `visitor ${scope.subject.visitorId}`
        : 'email' in scope.subject
          ? `e-mail ${scope.subject.email}`
          : `address ${scope.subject.ip}`,
    );
  }
  if (scope.from !== undefined) parts.push(`from ${scope.from}`);
  if (scope.to !== undefined) parts.push(`until ${scope.to}`);
  if (scope.ids !== undefined) parts.push(`${scope.ids.length} record ids`);
  return parts.length === 0 ? 'every record' : parts.join(', ');
}
