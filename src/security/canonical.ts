import { createHash, type KeyObject, verify } from 'node:crypto';
import type { AccessRecord } from '../record.js';

/**
 * A canonical serialisation: JSON with every object's keys sorted, no whitespace, `undefined`
 * members left out. The same record serialises to the same bytes whichever store kept it and in
 * whatever key order it came back.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(member)}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * The chain hash of a security record: SHA-256 (base64url) over the canonical serialisation of
 * the whole record, its `security.prev` included and its `security.hash` left out.
 */
export function recordHash(record: AccessRecord): string {
  const security = record.security ? { ...record.security, hash: undefined } : undefined;
  return createHash('sha256')
    .update(canonicalJson({ ...record, security }))
    .digest('base64url');
}

/** The bytes a checkpoint signs: the chain, the count of records, the head before it, the time. */
export function checkpointMessage(
  chain: string,
  count: number,
  head: string,
  time: string,
): Buffer {
  return Buffer.from(`express-privacy-log checkpoint v1\n${chain}\n${count}\n${head}\n${time}`);
}

/** A signed checkpoint, on its own: what {@link checkpointMessage} signs, and the signature. */
export interface Checkpoint {
  chain: string;
  /** How many records of the chain came before the head. */
  count: number;
  /** The hash of the chain's newest record at `time` (`genesis-...` for an empty chain). */
  head: string;
  time: string;
  /** Ed25519 signature, base64url. */
  sig: string;
}

/** Whether a checkpoint's signature verifies with `key`; never throws. */
export function checkpointValid(cp: Checkpoint, key: KeyObject | undefined): boolean {
  if (key === undefined) return false;
  try {
    const message = checkpointMessage(cp.chain, cp.count, cp.head, cp.time);
    return verify(null, message, key, Buffer.from(cp.sig, 'base64url'));
  } catch {
    return false;
  }
}
