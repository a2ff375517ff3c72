import { packageVersion } from '../package-version.js';
import type { CliIo, CommandContext } from './context.js';
import { CliError, EXIT, oneLine, UsageError } from './errors.js';
import { DEFAULT_STORE_URL, type OpenedStore, openStore, type StoreChoice } from './store-url.js';

export type { CliIo } from './context.js';

const NAME = 'express-privacy-log';

/** The help text of the command line. */
export const USAGE = `Usage: ${NAME} <command> [options]

Retention, legal holds and subject rights on a store of express-privacy-log, and the documents its
policy yields.

Commands on a store (--store URL; default $EXPRESS_PRIVACY_LOG_STORE, else ${DEFAULT_STORE_URL}):
  purge                          apply retention now; prints what was removed per category
  export --subject KEY [--policy P] [--out FILE]
                                 every record of a subject, as JSON
  erase --subject KEY [--policy P]
                                 erase a subject's records; held ones stay and are counted
  stats                          records by category, what is due for purge, legal holds
  consents [--subject visitor:ID] [--from TIME] [--to TIME]
                                 the consent ledger: each change of choice, its source, the
                                 policy version and the hash of the notice in force
  holds list                     the legal holds in force
  holds add --reason TEXT --review DATE|DURATION (--subject KEY | --from TIME | --to TIME
            | --record ID ... | --all) [--id ID]
                                 place a hold; --review takes 2026-06-30 or P90D
  holds extend ID [--review DATE|DURATION] [--reason TEXT] [--force]
                                 a review date only moves later; --force moves it earlier
  holds release ID
  report [--from TIME] [--to TIME] [--interval day|hour] [--host HOST] [--policy P]
         [--by page|entry|referrer|browser|os|device|country|region|status] [--csv]
                                 traffic from the anonymous rollups (brought up to date first);
                                 figures below the policy's aggregates.k (default 10) are hidden
  verify [--public-key FILE]     check the security records' hash chains and signed checkpoints;
                                 names every edited, deleted, inserted or reordered record;
                                 exit 0 only when everything verifies
  open --private-key FILE [--record ID ...]
                                 open sealed addresses with the investigator's X25519 key
  evidence export --incident REASON|HOLD --out DIR --by WHO --recipient WHOM --basis TEXT
         [--from TIME] [--to TIME] [--public-key FILE] [--signing-key FILE]
                                 write an evidence bundle (records, chain proof, checkpoints,
                                 manifest, README) to a new directory and enter it in the
                                 disclosure register; --signing-key signs chain heads no
                                 checkpoint covers yet
  disclosures                    the disclosure register: every evidence export

Commands on a bundle (no store):
  evidence verify DIR [--public-key FILE] [--manifest-sha256 HEX]
                                 check a bundle offline; exit 0 only when every file and
                                 record verifies, else names the file and the record

Documents from a policy (--policy gdpr|classic|ccpa|cnil|cookieless|strict|./my-policy.js):
  notice --policy P --site NAME --contact ADDRESS [--format markdown|html]
         [--routes /privacy | --no-routes] [--recipient NAME ...] [--updated DATE]
  processing-record --policy P --controller NAME --contact ADDRESS [--format markdown|json]
         [--dpo CONTACT] [--representative NAME] [--site NAME] [--recipient NAME ...]
         [--transfer TEXT ...]

A subject KEY is visitor:<id>, email:<address>, ip:<address>, or a bare e-mail address (holding
an @) or visitor id; another kind (phone:, a misspelt emial:) is refused (exit 2). ip: needs
--policy P (the policy the log was written under) keeping full addresses: a truncated or hashed
address is refused (exit 2), as it does not name one person.

Store options (every command on a store):
  --store URL          sqlite:./access-log.sqlite, postgres://user@host/db, redis://host:6379,
                       or module:./my-store.js[#Export] (a plugin store)
  --table NAME         PostgreSQL: the base table (default access_records)
  --schema NAME        PostgreSQL: the schema it is in (default: the connection's search path)
  --prefix NAME        Redis: the key prefix (default epl)
  --store-options JSON a module store: the options its export is built with
No command creates an access log: where none is, it says "no access log here" (exit 1).
Options: --json (machine-readable output), --help, --version.
Exit codes: 0 done, 1 failed while running, 2 wrong command or options.
`;

type Command = (context: CommandContext, args: string[]) => Promise<number>;

/**
 * Each command's module is loaded when the command runs: `--help`, `--version` and a command on a
 * store do not load the policy schema, the notice renderer and the rest of what other commands use.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  purge: async () => (await import('./data-commands.js')).purgeCommand,
  export: async () => (await import('./data-commands.js')).exportCommand,
  erase: async () => (await import('./data-commands.js')).eraseCommand,
  stats: async () => (await import('./data-commands.js')).statsCommand,
  consents: async () => (await import('./consent-command.js')).consentsCommand,
  holds: async () => (await import('./hold-commands.js')).holdsCommand,
  notice: async () => (await import('./document-commands.js')).noticeCommand,
  'processing-record': async () => (await import('./document-commands.js')).processingRecordCommand,
  report: async () => (await import('./report-command.js')).reportCommand,
  verify: async () => (await import('./security-commands.js')).verifyCommand,
  open: async () => (await import('./security-commands.js')).openCommand,
  evidence: async () => (await import('./evidence-commands.js')).evidenceCommand,
  disclosures: async () => (await import('./evidence-commands.js')).disclosuresCommand,
};

/**
 * Run the command line with `args` (without the node and script paths) and return the exit code.
 * Never throws: every failure becomes one line on standard error and an exit code.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const context: CommandContext = {
    io,
    now: () => new Date(),
    print: (line) => io.stdout.write(`${line}\n`),
    info: (line) => io.stderr.write(`${line}\n`),
    printJson: (value) => {
      io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      return EXIT.ok;
    },
    withStore: async <T>(choice: StoreChoice, body: (opened: OpenedStore) => Promise<T>) => {
      const url = choice.store ?? io.env.EXPRESS_PRIVACY_LOG_STORE ?? DEFAULT_STORE_URL;
      const opened = await openStore(url, choice);
      try {
        return await body(opened);
      } finally {
        await opened.close().catch(() => {});
      }
    },
  };
  const [command, ...rest] = args;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.stdout.write(USAGE);
      return command === undefined ? EXIT.usage : EXIT.ok;
    }
    if (command === '--version' || command === '-v') {
      io.stdout.write(`${packageVersion()}\n`);
      return EXIT.ok;
    }
    const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (load === undefined) {
      throw new UsageError(`unknown command "${command}"; see --help`);
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(USAGE);
      return EXIT.ok;
    }
    const run = await load();
    return await run(context, rest);
  } catch (err) {
    const usage = err instanceof UsageError;
    const text = err instanceof Error ? err.message : String(err);
    io.stderr.write(`${NAME}: ${oneLine(text)}\n`);
    if (!usage && !(err instanceof CliError) && io.env.DEBUG) {
      io.stderr.write(`${err instanceof Error ? err.stack : ''}\n`);
    }
    return usage ? EXIT.usage : EXIT.failure;
  }
}
