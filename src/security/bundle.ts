import { createHash, type KeyObject, sign } from 'node:crypto';
import type { AccessRecord } from '../record.js';
import { bundleReadme } from './bundle-readme.js';
import { type Checkpoint, canonicalJson, checkpointMessage } from './canonical.js';
import { EvidenceError } from './evidence-error.js';

/** The files of an evidence bundle; `MANIFEST.sha256` lists the SHA-256 of every other one. */
export const BUNDLE_FILES = {
  readme: 'README.txt',
  about: 'bundle.json',
  records: 'records.ndjson',
  links: 'links.ndjson',
  checkpoints: 'checkpoints.ndjson',
  key: 'signing-key.pub.pem',
  manifest: 'MANIFEST.sha256',
} as const;

/** The `format` of `bundle.json`; a verifier refuses a bundle of another format. */
export const BUNDLE_FORMAT = 'express-privacy-log evidence bundle 1';

/** A checkpoint in `checkpoints.ndjson`, and where it comes from. */
export interface BundleCheckpoint extends Checkpoint {
  /** `store`: the logger signed it as it wrote the chain; `export`: the export signed the head. */
  from: 'store' | 'export';
}

/** `bundle.json`: what the bundle holds and how to check it. */
export interface BundleAbout {
  format: typeof BUNDLE_FORMAT;
  createdAt: string;
  incident: { id: string; kind: 'hold' | 'reason'; from?: string; to?: string };
  /** `express-privacy-log@<version>` that made the bundle. */
  library: string;
  /** `name@version` of every policy the records were written under. */
  policies: string[];
  records: number;
  links: number;
  checkpoints: number;
  /** Records of the incident that are in no hash chain (held after they were stored). */
  unchained: string[];
  /** SHA-256 (hex) of the public key's DER (SPKI) form, to compare with the one published. */
  publicKey: string | null;
}

/** An incident's records and what the store holds to prove them. */
export interface BundleInput {
  incident: BundleAbout['incident'];
  /** The incident's records, oldest first. */
  records: readonly AccessRecord[];
  /** Every chained security record of the store, by chain. */
  chains: ReadonlyMap<string, readonly AccessRecord[]>;
  library: string;
  createdAt: Date;
  publicKey: KeyObject | undefined;
  /** Signs a checkpoint over a chain's head when no stored checkpoint follows a record yet. */
  signingKey: KeyObject | undefined;
}

/** SHA-256 of the DER (SPKI) form of a public key, hex. */
export function keyFingerprint(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const ndjson = (values: readonly unknown[]): string =>
  values.map((value) => `${canonicalJson(value)}\n`).join('');

/**
 * The records of each chain, other than the incident's, that link every incident record to the
 * next signed checkpoint, and those checkpoints. A record's hash covers its content and `prev`,
 * so a chain can only be followed through records whose content is present: from an incident
 * record to the first later record carrying a checkpoint, every record between goes into the
 * bundle whole. The checkpoint itself (chain, count, head, time, signature) is checked without
 * the record that carries it, which stays out. With a checkpoint on every record (the default)
 * no other record is needed at all.
 */
function proof(input: BundleInput): { links: AccessRecord[]; checkpoints: BundleCheckpoint[] } {
  const incident = new Set(input.records.map((r) => r.id));
  const links = new Map<string, AccessRecord>();
  const checkpoints = new Map<string, BundleCheckpoint>();
  const unprovable: string[] = [];
  for (const record of input.records) {
    const security = record.security;
    if (security?.chain === undefined || security.seq === undefined) continue;
    const list = input.chains.get(security.chain) ?? [];
    const bySeq = new Map(list.map((r) => [r.security!.seq!, r]));
    const last = list.reduce((max, r) => Math.max(max, r.security!.seq!), security.seq);
    let seq = security.seq + 1;
    let head = security.hash;
    for (;;) {
      const next = bySeq.get(seq);
      const cp = next?.security?.checkpoint;
      if (next !== undefined && cp !== undefined && cp.count === seq) {
        const entry = { chain: security.chain, count: seq, head: next.security!.prev ?? '' };
        checkpoints.set(`${security.chain}:${seq}`, {
          ...entry,
          time: cp.time,
          sig: cp.sig,
          from: 'store',
        });
        break;
      }
      if (next === undefined && seq > last && input.signingKey !== undefined && head) {
        // The chain's newest records: no stored checkpoint follows them yet, so the export signs
        // the head as the logger would have at its next record.
        const time = input.createdAt.toISOString();
        const message = checkpointMessage(security.chain, seq, head, time);
        const sig = sign(null, message, input.signingKey).toString('base64url');
        checkpoints.set(`${security.chain}:${seq}`, {
          chain: security.chain,
          count: seq,
          head,
          time,
          sig,
          from: 'export',
        });
        break;
      }
      if (next === undefined) {
        unprovable.push(
          seq > last
            ? `${record.id} (no checkpoint follows it yet; give the signing key to sign the chain's head)`
            : `${record.id} (position ${seq} of its chain is missing)`,
        );
        break;
      }
      if (!incident.has(next.id)) links.set(next.id, next);
      head = next.security!.hash;
      seq++;
    }
  }
  if (unprovable.length > 0) {
    throw new EvidenceError(
      `no signed checkpoint covers ${unprovable.length} record(s): ${unprovable.join('; ')}`,
    );
  }
  const order = (a: AccessRecord, b: AccessRecord): number =>
    a.security!.chain! === b.security!.chain!
      ? a.security!.seq! - b.security!.seq!
      : a.security!.chain! < b.security!.chain!
        ? -1
        : 1;
  return {
    links: [...links.values()].sort(order),
    checkpoints: [...checkpoints.values()].sort((a, b) =>
      a.chain === b.chain ? a.count - b.count : a.chain < b.chain ? -1 : 1,
    ),
  };
}

/**
 * The files of an evidence bundle, as bytes, with the manifest's SHA-256 (what the disclosure
 * register keeps). Throws an {@link EvidenceError} when a chained record cannot be linked to a
 * signed checkpoint.
 */
export function buildBundle(input: BundleInput): {
  files: Map<string, Buffer>;
  manifest: string;
  about: BundleAbout;
} {
  const { links, checkpoints } = proof(input);
  const about: BundleAbout = {
    format: BUNDLE_FORMAT,
    createdAt: input.createdAt.toISOString(),
    incident: input.incident,
    library: input.library,
    policies: [...new Set(input.records.map((r) => r.policy))].sort(),
    records: input.records.length,
    links: links.length,
    checkpoints: checkpoints.length,
    unchained: input.records.filter((r) => r.security?.chain === undefined).map((r) => r.id),
    publicKey: input.publicKey === undefined ? null : keyFingerprint(input.publicKey),
  };
  const files = new Map<string, Buffer>();
  files.set(BUNDLE_FILES.about, Buffer.from(`${JSON.stringify(about, null, 2)}\n`));
  files.set(BUNDLE_FILES.records, Buffer.from(ndjson(input.records)));
  files.set(BUNDLE_FILES.links, Buffer.from(ndjson(links)));
  files.set(BUNDLE_FILES.checkpoints, Buffer.from(ndjson(checkpoints)));
  if (input.publicKey !== undefined)
    files.set(
      BUNDLE_FILES.key,
      Buffer.from(String(input.publicKey.export({ type: 'spki', format: 'pem' }))),
    );
  files.set(BUNDLE_FILES.readme, Buffer.from(bundleReadme(about)));
  // sha256sum's own format: `sha256sum -c MANIFEST.sha256` checks the bundle without this library.
  const manifest = [...files.keys()]
    .sort()
    .map((name) => `${sha256Hex(files.get(name)!)}  ${name}\n`)
    .join('');
  files.set(BUNDLE_FILES.manifest, Buffer.from(manifest));
  return { files, manifest: sha256Hex(manifest), about };
}
