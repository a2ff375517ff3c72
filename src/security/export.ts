import { createPrivateKey, createPublicKey, type KeyObject, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { packageVersion } from '../package-version.js';
import type { AccessRecord } from '../record.js';
import { matchesHoldScope } from '../stores/hold-scope.js';
import type { Disclosure, HoldScope, Store } from '../stores/store.js';
import { type BundleAbout, buildBundle } from './bundle.js';
import { assertEmptyDir, writeBundleDir } from './bundle-files.js';
import { verifyBundle } from './bundle-verify.js';
import { EvidenceError } from './evidence-error.js';

/** What to export, where, and the register entry's facts. */
export interface EvidenceExportOptions {
  /** A reason code (`sql-injection`, or the app's own) or the id of a legal hold. */
  incident: string;
  /** A new or empty directory for the bundle. */
  out: string;
  /** Who makes the export (a name, a role). */
  by: string;
  /** To whom the bundle is handed. */
  recipient: string;
  /** The legal basis of the disclosure: a court order, a request under national law, ... */
  basis: string;
  /** Only records at or after this time. */
  from?: Date | string;
  /** Only records before this time. */
  to?: Date | string;
  /** The Ed25519 public key that verifies the checkpoints (default: the signing key's). */
  publicKey?: KeyObject | string;
  /** The Ed25519 private key: signs the head of a chain no stored checkpoint covers yet. */
  signingKey?: KeyObject | string;
  /** The time of the export (default now). */
  now?: Date;
}

/** What an export wrote and entered in the register. */
export interface EvidenceExportResult {
  dir: string;
  files: string[];
  records: number;
  /** Incident records in no chain (held after they were stored). */
  unchained: string[];
  disclosure: Disclosure;
}

function required(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new TypeError(`evidence export: ${name} is required`);
  return value.trim();
}

function time(value: Date | string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) throw new TypeError(`evidence export: ${name} is not a date or time`);
  return new Date(ms).toISOString();
}

/** The incident's records, and every chained security record of the store by chain. */
async function collect(store: Store, scope: (r: AccessRecord) => boolean) {
  const records: AccessRecord[] = [];
  const chains = new Map<string, AccessRecord[]>();
  for await (const record of store.read!({})) {
    const chain = record.security?.chain;
    if (chain !== undefined && typeof record.security?.seq === 'number') {
      const list = chains.get(chain);
      if (list === undefined) chains.set(chain, [record]);
      else list.push(record);
    }
    if (scope(record)) records.push(record);
  }
  return { records, chains };
}

/**
 * Export the evidence of one incident from `store` as a bundle in `options.out`, and enter the
 * export in the store's disclosure register. Nothing is written when the store cannot keep the
 * register, no record matches, or the bundle would not verify; the bundle is removed again when
 * the register entry fails: no evidence leaves without its entry.
 */
export async function exportEvidence(
  store: Store,
  options: EvidenceExportOptions,
): Promise<EvidenceExportResult> {
  const incident = required(options.incident, 'incident');
  const by = required(options.by, 'by (who makes the export)');
  const recipient = required(options.recipient, 'recipient');
  const basis = required(options.basis, 'basis (the legal basis of the disclosure)');
  const out = resolve(required(options.out, 'out (the bundle directory)'));
  const from = time(options.from, 'from');
  const to = time(options.to, 'to');
  if (typeof store.read !== 'function' || typeof store.disclose !== 'function')
    throw new EvidenceError(
      'this store cannot export evidence: it must read records and keep a disclosure register',
    );
  const signingKey =
    typeof options.signingKey === 'string'
      ? createPrivateKey(options.signingKey)
      : options.signingKey;
  const publicKey =
    options.publicKey !== undefined
      ? typeof options.publicKey !== 'string' && options.publicKey.type === 'public'
        ? options.publicKey
        : createPublicKey(options.publicKey)
      : signingKey === undefined
        ? undefined
        : createPublicKey(signingKey);
  if (publicKey === undefined)
    throw new EvidenceError(
      'evidence export needs the public key (or the signing key) that verifies the checkpoints',
    );
  await assertEmptyDir(out);

  const hold = (await store.holds?.())?.find((h) => h.id === incident);
  const kind: BundleAbout['incident']['kind'] = hold === undefined ? 'reason' : 'hold';
  const window: HoldScope = { ...(from && { from }), ...(to && { to }) };
  const { records, chains } = await collect(
    store,
    (r) =>
      (hold === undefined
        ? r.security?.reasons.includes(incident) === true
        : matchesHoldScope(r, hold.scope)) && matchesHoldScope(r, window),
  );
  if (records.length === 0)
    throw new EvidenceError(
      `no record belongs to the incident "${incident}" (a reason code or hold id)`,
    );

  const now = options.now ?? new Date();
  const bundle = buildBundle({
    incident: { id: incident, kind, ...(from && { from }), ...(to && { to }) },
    records,
    chains,
    library: `express-privacy-log@${packageVersion()}`,
    createdAt: now,
    publicKey,
    signingKey,
  });
  // What leaves must verify at the recipient's: a store whose chain was altered is reported here.
  const check = verifyBundle(bundle.files, publicKey);
  if (!check.ok)
    throw new EvidenceError(
      `the bundle would not verify: ${check.problems
        .slice(0, 5)
        .map((p) => `${p.id ?? p.file}: ${p.detail}`)
        .join('; ')}`,
    );
  const remove = await writeBundleDir(out, bundle.files);
  const disclosure: Disclosure = {
    id: randomUUID(),
    at: now.toISOString(),
    by,
    recipient,
    basis,
    scope: {
      incident,
      kind,
      ...(from && { from }),
      ...(to && { to }),
      ids: records.map((r) => r.id),
    },
    manifest: bundle.manifest,
  };
  try {
    await store.disclose(disclosure);
  } catch (err) {
    await remove().catch(() => {});
    throw new EvidenceError(
      `the export could not be entered in the disclosure register, so the bundle was removed: ${(err as Error).message}`,
    );
  }
  return {
    dir: out,
    files: [...bundle.files.keys()].sort(),
    records: records.length,
    unchained: bundle.about.unchained,
    disclosure,
  };
}
