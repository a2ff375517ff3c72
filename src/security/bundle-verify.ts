import { createPublicKey, type KeyObject } from 'node:crypto';
import type { AccessRecord } from '../record.js';
import {
  BUNDLE_FILES,
  BUNDLE_FORMAT,
  type BundleAbout,
  type BundleCheckpoint,
  keyFingerprint,
  sha256Hex,
} from './bundle.js';
import { checkpointValid, recordHash } from './canonical.js';

/** One thing wrong with a bundle: the file it is in and, where one is concerned, the record. */
export interface BundleProblem {
  file: string;
  id?: string;
  detail: string;
}

/** The answer of {@link verifyBundle}. */
export interface BundleReport {
  /** True only when every file matches the manifest and every chained record is proved. */
  ok: boolean;
  problems: BundleProblem[];
  /** SHA-256 (hex) of MANIFEST.sha256, to compare with the disclosure register's entry. */
  manifest: string | undefined;
  /** SHA-256 of the public key the signatures were checked with. */
  publicKey: string | undefined;
  records: number;
  /** Incident records proved by a signed checkpoint. */
  proved: number;
  /** Incident records in no chain: nothing but the manifest protects them. */
  unchained: string[];
}

const MANIFEST_LINE = /^([0-9a-f]{64}) {2}([A-Za-z0-9._-]+)$/;

/** Check the manifest against the files; every file but the manifest must be listed, once. */
function checkManifest(files: ReadonlyMap<string, Buffer>, problems: BundleProblem[]): void {
  const file = BUNDLE_FILES.manifest;
  const text = files.get(file)?.toString('utf8');
  if (text === undefined) {
    problems.push({ file, detail: 'missing: nothing says which files the bundle holds' });
    return;
  }
  const listed = new Set<string>();
  const lines = text.split('\n');
  if (lines.pop() !== '') problems.push({ file, detail: 'does not end with a newline' });
  lines.forEach((line, index) => {
    const match = MANIFEST_LINE.exec(line);
    if (match === null) {
      problems.push({ file, detail: `line ${index + 1} is not "<sha256>  <file name>"` });
      return;
    }
    const [, hash, name] = match as unknown as [string, string, string];
    if (listed.has(name)) problems.push({ file, detail: `lists ${name} twice` });
    listed.add(name);
    const content = files.get(name);
    if (content === undefined)
      problems.push({ file: name, detail: `listed in ${file} but missing` });
    else if (sha256Hex(content) !== hash)
      problems.push({
        file: name,
        detail: `its SHA-256 differs from its line in ${file}: one of the two was changed`,
      });
  });
  for (const name of files.keys())
    if (name !== file && !listed.has(name))
      problems.push({ file: name, detail: `not listed in ${file}` });
}

/** Parse an NDJSON file of the bundle; a bad line is a problem naming the file and line. */
function lines<T>(
  files: ReadonlyMap<string, Buffer>,
  file: string,
  problems: BundleProblem[],
): T[] {
  const content = files.get(file);
  if (content === undefined) {
    problems.push({ file, detail: 'missing' });
    return [];
  }
  const out: T[] = [];
  content
    .toString('utf8')
    .split('\n')
    .forEach((line, index) => {
      if (line === '') return;
      try {
        out.push(JSON.parse(line) as T);
      } catch {
        problems.push({ file, detail: `line ${index + 1} is not JSON` });
      }
    });
  return out;
}

function readAbout(files: ReadonlyMap<string, Buffer>, problems: BundleProblem[]) {
  const file = BUNDLE_FILES.about;
  try {
    const about = JSON.parse(files.get(file)?.toString('utf8') ?? '') as BundleAbout;
    if (about.format !== BUNDLE_FORMAT)
      problems.push({ file, detail: 'not a bundle of this format' });
    return about;
  } catch {
    problems.push({ file, detail: 'missing or not JSON' });
    return undefined;
  }
}

/** The key the signatures are checked with: the one given, which the bundle's must match. */
function readKey(
  files: ReadonlyMap<string, Buffer>,
  given: KeyObject | undefined,
  problems: BundleProblem[],
): KeyObject | undefined {
  const file = BUNDLE_FILES.key;
  const pem = files.get(file);
  let carried: KeyObject | undefined;
  if (pem !== undefined) {
    try {
      carried = createPublicKey(pem);
    } catch {
      problems.push({ file, detail: 'holds no public key' });
    }
  }
  if (
    given !== undefined &&
    carried !== undefined &&
    keyFingerprint(given) !== keyFingerprint(carried)
  )
    problems.push({ file, detail: 'is not the public key given to verify with' });
  return given ?? carried;
}

/**
 * Verify an evidence bundle offline, from its files' bytes: the manifest, every record's hash,
 * each chained incident record's link to a checkpoint, every checkpoint's signature. `publicKey`
 * (the key the recipient got by other means) is the one trusted; without it, the bundle's own.
 */
export function verifyBundle(
  files: ReadonlyMap<string, Buffer>,
  publicKey?: KeyObject,
): BundleReport {
  const problems: BundleProblem[] = [];
  checkManifest(files, problems);
  const about = readAbout(files, problems);
  const key = readKey(files, publicKey, problems);
  const records = lines<AccessRecord>(files, BUNDLE_FILES.records, problems);
  const links = lines<AccessRecord>(files, BUNDLE_FILES.links, problems);
  const checkpoints = lines<BundleCheckpoint>(files, BUNDLE_FILES.checkpoints, problems);
  if (about !== undefined && about.records !== records.length)
    problems.push({
      file: BUNDLE_FILES.about,
      detail: `says ${about.records} records, records.ndjson has ${records.length}`,
    });

  // Every chained record, incident or link, must hash to what it says; positions must be unique.
  const positions = new Map<string, AccessRecord>();
  for (const [file, list] of [
    [BUNDLE_FILES.records, records],
    [BUNDLE_FILES.links, links],
  ] as const)
    for (const r of list) {
      const s = r.security;
      if (s?.chain === undefined) continue;
      if (typeof s.seq !== 'number' || recordHash(r) !== s.hash)
        problems.push({ file, id: r.id, detail: 'its hash does not match its content' });
      const at = `${s.chain}:${s.seq}`;
      if (positions.has(at))
        problems.push({
          file,
          id: r.id,
          detail: `a second record at position ${s.seq} of its chain`,
        });
      else positions.set(at, r);
    }
  const signed = new Map<string, BundleCheckpoint>();
  checkpoints.forEach((cp, index) => {
    if (checkpointValid(cp, key)) signed.set(`${cp.chain}:${cp.count}:${cp.head}`, cp);
    else
      problems.push({
        file: BUNDLE_FILES.checkpoints,
        detail: `line ${index + 1}: ${key === undefined ? 'no public key to check the signature' : 'the signature does not verify'}`,
      });
  });

  // Follow each incident record through the links to a checkpoint that signs its chain's head.
  let proved = 0;
  const unchained: string[] = [];
  for (const r of records) {
    const s = r.security;
    if (s?.chain === undefined) {
      unchained.push(r.id);
      continue;
    }
    let head: string | undefined = recordHash(r);
    let seq = (s.seq ?? Number.NaN) + 1;
    let ok = false;
    for (;;) {
      if (signed.has(`${s.chain}:${seq}:${head}`)) {
        ok = true;
        break;
      }
      const next = positions.get(`${s.chain}:${seq}`);
      if (next === undefined || next.security?.prev !== head) break;
      head = recordHash(next);
      seq++;
    }
    if (ok) proved++;
    else
      problems.push({
        file: BUNDLE_FILES.records,
        id: r.id,
        detail: 'no signed checkpoint covers it: a link is missing or altered',
      });
  }
  const listed = Array.isArray(about?.unchained) ? [...about.unchained].sort().join() : '';
  if (about !== undefined && listed !== [...unchained].sort().join())
    problems.push({
      file: BUNDLE_FILES.about,
      detail: 'its list of unchained records does not match records.ndjson',
    });
  const manifest = files.get(BUNDLE_FILES.manifest);
  return {
    ok: problems.length === 0,
    problems,
    manifest: manifest === undefined ? undefined : sha256Hex(manifest),
    publicKey: key === undefined ? undefined : keyFingerprint(key),
    records: records.length,
    proved,
    unchained,
  };
}
