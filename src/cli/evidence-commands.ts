import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readBundleDir } from '../security/bundle-files.js';
import { verifyBundle } from '../security/bundle-verify.js';
import { exportEvidence } from '../security/export.js';
import { noPositionals, parseCommand, parseTime, STORE_OPTIONS } from './args.js';
import type { CommandContext } from './context.js';
import { CliError, EXIT, UsageError } from './errors.js';
import { publicKeyFrom } from './security-commands.js';

/** The Ed25519 private key in a PEM file. */
async function signingKeyFrom(path: string): Promise<KeyObject> {
  let key: KeyObject;
  try {
    key = createPrivateKey(await readFile(path, 'utf8'));
  } catch (err) {
    throw new CliError(`${path} holds no private key: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new CliError(`${path} holds no Ed25519 key`);
  return key;
}

function need(value: string | undefined, option: string, what: string): string {
  if (value === undefined || value.trim() === '')
    throw new UsageError(`evidence export needs --${option} (${what})`);
  return value;
}

/**
 * `evidence export --incident ID --out DIR --by WHO --recipient WHOM --basis TEXT`: write the
 * bundle and enter it in the store's disclosure register.
 */
async function exportCommand(context: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('evidence export', args, {
    ...STORE_OPTIONS,
    incident: { type: 'string' },
    out: { type: 'string' },
    by: { type: 'string' },
    recipient: { type: 'string' },
    basis: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    'public-key': { type: 'string' },
    'signing-key': { type: 'string' },
  });
  noPositionals('evidence export', positionals);
  const options = {
    incident: need(values.incident, 'incident', 'a reason code or a hold id'),
    out: need(values.out, 'out', 'a new or empty directory'),
    by: need(values.by, 'by', 'who makes the export'),
    recipient: need(values.recipient, 'recipient', 'to whom it is handed'),
    basis: need(values.basis, 'basis', 'the legal basis of the disclosure'),
  };
  const from = parseTime(values.from, '--from');
  const to = parseTime(values.to, '--to');
  const signingKey =
    values['signing-key'] === undefined ? undefined : await signingKeyFrom(values['signing-key']);
  const publicKey =
    values['public-key'] === undefined ? undefined : await publicKeyFrom(values['public-key']);
  return context.withStore(values, async (opened) => {
    const result = await exportEvidence(opened.store, {
      ...options,
      ...(from && { from }),
      ...(to && { to }),
      ...(signingKey && { signingKey }),
      ...(publicKey && { publicKey }),
      now: context.now(),
    });
    if (values.json) return context.printJson(result);
    context.print(`wrote ${result.records} record(s) of "${options.incident}" to ${result.dir}`);
    context.print(`manifest SHA-256 ${result.disclosure.manifest}`);
    context.print(`entered in the disclosure register as ${result.disclosure.id}`);
    if (result.unchained.length > 0)
      context.info(
        `${result.unchained.length} record(s) are in no hash chain (held after they were stored): only the manifest protects them`,
      );
    return EXIT.ok;
  });
}

/** `evidence verify DIR [--public-key FILE] [--manifest-sha256 HEX]`: check a bundle offline. */
async function verifyCommand(context: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('evidence verify', args, {
    json: { type: 'boolean' },
    'public-key': { type: 'string' },
    'manifest-sha256': { type: 'string' },
  });
  noPositionals('evidence verify', positionals, 1);
  const dir = positionals[0];
  if (dir === undefined) throw new UsageError('evidence verify needs the bundle directory');
  const key =
    values['public-key'] === undefined ? undefined : await publicKeyFrom(values['public-key']);
  const report = verifyBundle(await readBundleDir(dir), key);
  const expected = values['manifest-sha256']?.trim().toLowerCase();
  if (expected !== undefined && expected !== report.manifest) {
    report.ok = false;
    report.problems.push({
      file: 'MANIFEST.sha256',
      detail: 'its SHA-256 is not the one given with --manifest-sha256',
    });
  }
  if (values.json) {
    context.printJson(report);
    return report.ok ? EXIT.ok : EXIT.failure;
  }
  for (const p of report.problems)
    context.print(`FAILED ${p.file}${p.id === undefined ? '' : ` ${p.id}`}: ${p.detail}`);
  context.print(`manifest SHA-256 ${report.manifest ?? '(none)'}`);
  context.print(`public key SHA-256 ${report.publicKey ?? '(none)'}`);
  if (key === undefined)
    context.info('no --public-key: checked with the key the bundle carries; compare its SHA-256');
  if (report.unchained.length > 0)
    context.print(
      `${report.unchained.length} record(s) in no hash chain: protected by the manifest only`,
    );
  context.print(
    report.ok
      ? `verified: ${report.records} record(s), ${report.proved} proved by signed checkpoints`
      : 'NOT verified',
  );
  return report.ok ? EXIT.ok : EXIT.failure;
}

/** `evidence export|verify ...` */
export async function evidenceCommand(context: CommandContext, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'export') return exportCommand(context, rest);
  if (sub === 'verify') return verifyCommand(context, rest);
  throw new UsageError('evidence needs a subcommand: export or verify; see --help');
}

/** `disclosures [--json]`: the store's disclosure register, oldest first. */
export async function disclosuresCommand(context: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('disclosures', args, STORE_OPTIONS);
  noPositionals('disclosures', positionals);
  return context.withStore(values, async (opened) => {
    const store = opened.store;
    if (typeof store.disclosures !== 'function')
      throw new CliError(`the store at ${opened.label} keeps no disclosure register`);
    const entries = await store.disclosures();
    if (values.json) return context.printJson(entries);
    if (entries.length === 0) context.print('no evidence has been disclosed');
    for (const e of entries)
      context.print(
        `${e.at} ${e.id} by ${e.by} to ${e.recipient}; basis: ${e.basis}; ` +
          `${e.scope.kind} "${e.scope.incident}", ${e.scope.ids.length} record(s); manifest ${e.manifest}`,
      );
    return EXIT.ok;
  });
}
