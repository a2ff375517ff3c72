import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { StoreSet } from '../privacy/store-set.js';
import { readAll } from '../security/api.js';
import { openSealed, SealError } from '../security/seal.js';
import { verifyChains } from '../security/verify.js';
import { noPositionals, parseCommand, STORE_OPTIONS } from './args.js';
import type { CommandContext } from './context.js';
import { CliError, EXIT, UsageError } from './errors.js';

/** The Ed25519 public key in a PEM file (a private key file gives its public half). */
export async function publicKeyFrom(path: string): Promise<KeyObject> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the key file ${path}: ${(err as Error).message}`);
  }
  try {
    const key = createPublicKey(text);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
    return key;
  } catch (err) {
    throw new CliError(`${path} holds no Ed25519 key: ${(err as Error).message}`);
  }
}

/**
 * `verify --public-key FILE`: walk the hash chains of the security records in the store, check
 * every checkpoint's signature, and name each record that was edited, deleted, inserted or
 * reordered. Exit code 0 only when everything verifies, 1 otherwise.
 */
export async function verifyCommand(context: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('verify', args, {
    ...STORE_OPTIONS,
    'public-key': { type: 'string' },
  });
  noPositionals('verify', positionals);
  const key =
    values['public-key'] === undefined ? undefined : await publicKeyFrom(values['public-key']);
  return context.withStore(values, async (opened) => {
    const set = new StoreSet([opened.store]);
    const entry = set.with('read')[0];
    if (entry === undefined) throw new CliError(`the store at ${opened.label} cannot be read`);
    const report = verifyChains(await set.use(entry, readAll), key);
    if (values.json) {
      context.printJson(report);
      return report.ok ? EXIT.ok : EXIT.failure;
    }
    for (const chain of report.chains)
      context.print(
        `chain ${chain.chain}: ${chain.records} records, ${chain.checkpoints} checkpoints`,
      );
    for (const p of report.problems)
      context.print(`${p.kind.toUpperCase()} ${p.id ?? '(end of chain)'}: ${p.detail}`);
    if (key === undefined && report.chains.some((c) => c.checkpoints > 0))
      context.info('no --public-key: checkpoint signatures could not be checked');
    context.print(report.ok ? 'verified: every record and checkpoint is intact' : 'NOT verified');
    return report.ok ? EXIT.ok : EXIT.failure;
  });
}

/**
 * `open --private-key FILE [--record ID ...]`: open the sealed addresses of security records with
 * the investigator's X25519 private key. Exit 1, naming no address, when any does not open.
 */
export async function openCommand(context: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('open', args, {
    ...STORE_OPTIONS,
    'private-key': { type: 'string' },
    record: { type: 'string', multiple: true },
  });
  noPositionals('open', positionals);
  const path = values['private-key'];
  if (path === undefined) throw new UsageError('open needs --private-key FILE');
  let key: KeyObject;
  try {
    key = createPrivateKey(await readFile(path, 'utf8'));
  } catch (err) {
    throw new CliError(`${path} holds no private key: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'x25519') throw new CliError(`${path} holds no X25519 key`);
  const wanted = values.record === undefined ? undefined : new Set(values.record);
  return context.withStore(values, async (opened) => {
    const set = new StoreSet([opened.store]);
    const entry = set.with('read')[0];
    if (entry === undefined) throw new CliError(`the store at ${opened.label} cannot be read`);
    const found: { id: string; ip: string }[] = [];
    let failed = 0;
    for (const record of await set.use(entry, readAll)) {
      const sealed = record.security?.sealedIp;
      if (sealed === undefined || (wanted !== undefined && !wanted.has(record.id))) continue;
      try {
        found.push({ id: record.id, ip: openSealed(sealed, key, record.id) });
      } catch (err) {
        if (!(err instanceof SealError)) throw err;
        failed++;
        context.info(`${record.id}: ${err.message}`);
      }
    }
    if (values.json) context.printJson({ opened: found, failed });
    else for (const f of found) context.print(`${f.id} ${f.ip}`);
    if (failed > 0) {
      context.info(`${failed} sealed address(es) did not open with this key`);
      return EXIT.failure;
    }
    return EXIT.ok;
  });
}
