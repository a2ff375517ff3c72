import { type ParseArgsConfig, parseArgs } from 'node:util';
import { nearest } from '../policy/errors.js';
import { normalizeAddress, normalizeEmail } from '../stores/retention.js';
import type { Subject } from '../stores/store.js';
import { oneLine, UsageError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What {@link parseCommand} returns: option values typed from their declarations. */
export type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>;

/**
 * The options every command that opens a store takes: the store URL, the settings a store takes
 * beside it (a PostgreSQL table and schema, a Redis prefix, a module store's options) and `--json`.
 */
export const STORE_OPTIONS = {
  store: { type: 'string', short: 's' },
  table: { type: 'string' },
  schema: { type: 'string' },
  prefix: { type: 'string' },
  'store-options': { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Options;

/**
 * Parse a command's arguments strictly: an unknown option or a missing value is a usage error
 * naming the command, never silently ignored (a misspelt `--subjetc` must not erase nothing and
 * report success).
 */
export function parseCommand<const O extends Options>(
  command: string,
  args: string[],
  options: O,
): Parsed<O> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const text = err instanceof Error ? oneLine(err.message) : String(err);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const option = /'([^']+)'/.exec(text)?.[1] ?? 'option';
      const near = nearest(option.replace(/^-+/, ''), Object.keys(options));
      throw new UsageError(
        `${command}: unknown option ${option}${near ? ` (did you mean --${near}?)` : ''}; see --help`,
      );
    }
    // Node words these as "Option '-s, --store <value>' argument missing"; say it plainly.
    const long = /--([\w-]+)/.exec(text)?.[0];
    if (long !== undefined && /argument missing/.test(text)) {
      throw new UsageError(`${command}: ${long} needs a value; see --help`);
    }
    if (long !== undefined && /does not take an argument/.test(text)) {
      throw new UsageError(`${command}: ${long} takes no value; see --help`);
    }
    throw new UsageError(`${command}: ${text.replace(/\.$/, '')}; see --help`);
  }
}

/** Refuse positional arguments a command does not take. */
export function noPositionals(command: string, positionals: string[], allowed = 0): void {
  if (positionals.length > allowed) {
    throw new UsageError(`${command}: unexpected argument "${positionals[allowed]}"; see --help`);
  }
}

/** The subject forms the command line accepts, as its errors list them. */
export const SUBJECT_FORMS =
  'visitor:<id>, email:<address>, ip:<address>, or a bare e-mail address (with an @) or visitor id';

/** The kinds a subject may name, in lower case (`visitorId` is accepted for `visitor`). */
const SUBJECT_KINDS: Readonly<Record<string, 'email' | 'visitor' | 'ip'>> = {
  visitor: 'visitor',
  visitorid: 'visitor',
  email: 'email',
  ip: 'ip',
};

/**
 * A subject as the command line writes it: `email:<address>`, `visitor:<id>`, `ip:<address>`, or
 * a bare value, which is an e-mail address when it holds an `@` (visitor ids never do) and a
 * visitor id otherwise. A bare value that starts like another kind (`phone:123`, a misspelt
 * `emial:`) or that is an IP address is refused: read as a visitor id, it would match nobody and
 * an export or erasure would report success having found nothing.
 */
export function parseSubject(text: string | undefined, command: string): Subject {
  if (text === undefined || text.trim() === '') {
    throw new UsageError(`${command}: --subject is required: ${SUBJECT_FORMS}`);
  }
  if (normalizeAddress(text) !== '') {
    throw new UsageError(
      `${command}: "${text.trim()}" is an IP address: write ip:${text.trim()} (with --policy) to mean one`,
    );
  }
  let kind: 'email' | 'visitor' | 'ip';
  let value: string;
  const match = /^([A-Za-z][A-Za-z0-9_-]*):(.*)$/s.exec(text);
  if (match !== null) {
    const named = match[1]!;
    const found = SUBJECT_KINDS[named.toLowerCase()];
    if (found === undefined) {
      const near = nearest(named, ['visitor', 'email', 'ip']);
      throw new UsageError(
        `${command}: unknown subject kind "${named}:"${near ? ` (did you mean "${near}:"?)` : ''}; a subject is ${SUBJECT_FORMS}`,
      );
    }
    kind = found;
    value = match[2]!.trim();
  } else {
    kind = text.includes('@') ? 'email' : 'visitor';
    value = text.trim();
  }
  if (kind === 'email') {
    if (normalizeEmail(value) === '' || !value.includes('@')) {
      throw new UsageError(`${command}: "${value}" is not an e-mail address`);
    }
    return { email: value };
  }
  if (kind === 'ip') {
    const ip = normalizeAddress(value);
    if (ip === '') throw new UsageError(`${command}: "${value}" is not an IP address`);
    return { ip };
  }
  if (value === '') throw new UsageError(`${command}: the visitor id is empty`);
  return { visitorId: value };
}

/** An ISO 8601 time from an option, or a usage error naming it. */
export function parseTime(text: string | undefined, option: string): string | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw new UsageError(`${option}: "${text}" is not an ISO 8601 date or time`);
  return new Date(ms).toISOString();
}
