import { renderCsv, renderText } from '../reports/render-text.js';
import { rollupsFor } from '../reports/reports-api.js';
import { updateRollups } from '../reports/runner.js';
import { DEFAULT_K } from '../reports/suppress.js';
import { BREAKDOWNS, type BreakdownBy, trafficReport } from '../reports/traffic.js';
import type { Store } from '../stores/store.js';
import { noPositionals, parseCommand, parseTime, STORE_OPTIONS } from './args.js';
import type { CommandContext } from './context.js';
import { CliError, UsageError } from './errors.js';
import { loadPolicy } from './policy.js';

/**
 * `report`: bring the store's traffic rollups up to date and print a traffic report, as text
 * (with sparklines), `--json` or `--csv`. k comes from `--policy` (its `aggregates.k`), else 10.
 */
export async function reportCommand(context: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('report', args, {
    ...STORE_OPTIONS,
    csv: { type: 'boolean' },
    from: { type: 'string' },
    to: { type: 'string' },
    interval: { type: 'string' },
    by: { type: 'string' },
    host: { type: 'string' },
    policy: { type: 'string' },
  });
  noPositionals('report', positionals);
  const interval = values.interval ?? 'day';
  if (interval !== 'day' && interval !== 'hour') {
    throw new UsageError('report: --interval must be day or hour');
  }
  const by = values.by;
  if (by !== undefined && !Object.hasOwn(BREAKDOWNS, by)) {
    throw new UsageError(`report: --by must be one of ${Object.keys(BREAKDOWNS).join(', ')}`);
  }
  if (values.json && values.csv)
    throw new UsageError('report: --json and --csv exclude each other');
  const from = parseTime(values.from, '--from');
  const to = parseTime(values.to, '--to');
  const k =
    values.policy === undefined
      ? DEFAULT_K
      : ((await loadPolicy(values.policy)).aggregates?.k ?? DEFAULT_K);
  return context.withStore(values, async (opened) => {
    const rollups = await openRollups(opened.store, opened.label);
    try {
      const now = context.now();
      const run = await updateRollups(opened.store, rollups, { now });
      if (run.skipped)
        context.info('another process is rolling up; reporting what it has committed');
      const report = await trafficReport(
        rollups,
        {
          interval,
          ...(from === undefined ? {} : { from }),
          ...(to === undefined ? {} : { to }),
          ...(by === undefined ? {} : { by: by as BreakdownBy }),
          ...(values.host === undefined ? {} : { filter: { host: values.host } }),
        },
        k,
        now,
      ).catch((err: unknown) => {
        throw new UsageError(`report: ${(err as Error).message}`);
      });
      if (values.json) return context.printJson(report);
      context.io.stdout.write(values.csv ? renderCsv(report) : renderText(report));
      return 0;
    } finally {
      await rollups.close?.();
    }
  });
}

async function openRollups(store: Store, label: string) {
  const rollups = store.read === undefined ? undefined : rollupsFor(store);
  if (rollups === undefined) throw new CliError(`the store at ${label} keeps no traffic rollups`);
  await rollups.init?.();
  return rollups;
}
