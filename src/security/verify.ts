import { createPublicKey, type KeyObject } from 'node:crypto';
import type { AccessRecord } from '../record.js';
import { checkpointValid, recordHash } from './canonical.js';
import { GENESIS } from './chain.js';

/** What is wrong with one record of a chain. */
export interface ChainProblem {
  kind: 'edited' | 'deleted' | 'inserted' | 'reordered' | 'bad-checkpoint' | 'unchained';
  /** The record concerned; for `deleted`, the first record after the gap (absent at a chain's end). */
  id: string | undefined;
  chain: string | undefined;
  detail: string;
}

/** The answer of {@link verifyChains}. */
export interface VerifyReport {
  /** True only when every record and every checkpoint verifies. */
  ok: boolean;
  chains: { chain: string; records: number; checkpoints: number }[];
  problems: ChainProblem[];
}

type Chained = AccessRecord & { security: NonNullable<AccessRecord['security']> };

function checkpointOk(r: Chained, key: KeyObject | undefined): boolean {
  const cp = r.security.checkpoint;
  if (cp === undefined || cp.count !== r.security.seq) return false;
  return checkpointValid({ ...cp, chain: r.security.chain!, head: r.security.prev ?? '' }, key);
}

/**
 * Walk every hash chain among `records` (in the order the store gives them, oldest first) and
 * report each edited, deleted, inserted or reordered record by id, and each checkpoint whose
 * signature fails. Without `publicKey` no signature can be checked, and a chain with checkpoints
 * does not verify. A chain whose oldest records were removed by retention verifies from its first
 * remaining record on when that record carries a valid checkpoint.
 */
export function verifyChains(
  records: Iterable<AccessRecord>,
  publicKey?: KeyObject | string,
): VerifyReport {
  const key =
    publicKey === undefined
      ? undefined
      : typeof publicKey === 'string'
        ? createPublicKey(publicKey)
        : publicKey;
  const problems: ChainProblem[] = [];
  const chains = new Map<string, Chained[]>();
  for (const record of records) {
    const security = record.security;
    if (security === undefined) continue;
    if (
      typeof security.chain !== 'string' ||
      typeof security.seq !== 'number' ||
      typeof security.hash !== 'string'
    ) {
      problems.push({
        kind: 'unchained',
        id: record.id,
        chain: undefined,
        detail: 'a security record outside any chain',
      });
      continue;
    }
    const list = chains.get(security.chain);
    if (list === undefined) chains.set(security.chain, [record as Chained]);
    else list.push(record as Chained);
  }
  const summary: VerifyReport['chains'] = [];
  for (const [chain, list] of chains) {
    let checkpoints = 0;
    const bySeq = new Map<number, Chained[]>();
    let max = -1;
    let min = Number.POSITIVE_INFINITY;
    for (const r of list) {
      const seq = r.security.seq!;
      const at = bySeq.get(seq);
      if (at === undefined) bySeq.set(seq, [r]);
      else at.push(r);
      max = Math.max(max, seq);
      min = Math.min(min, seq);
    }
    const genuine = new Set<Chained>();
    let head: string | undefined;
    let missingFrom = -1;
    // A chain may start later than 0 only where retention removed a whole segment and the first
    // remaining record's checkpoint vouches for what came before.
    let start = 0;
    const first = bySeq.get(min)?.[0];
    if (min > 0 && first !== undefined && checkpointOk(first, key)) start = min;
    for (let seq = start; seq <= max; seq++) {
      const candidates = bySeq.get(seq);
      if (candidates === undefined) {
        if (missingFrom === -1) missingFrom = seq;
        continue;
      }
      // Several records at one position: the one that links to its predecessor is the chain's.
      const linked =
        candidates.find((r) => r.security.prev === head && recordHash(r) === r.security.hash) ??
        candidates.find((r) => r.security.prev === head) ??
        candidates[0]!;
      for (const r of candidates)
        if (r !== linked)
          problems.push({
            kind: 'inserted',
            id: r.id,
            chain,
            detail: `a second record at position ${seq}`,
          });
      if (missingFrom !== -1) {
        problems.push({
          kind: 'deleted',
          id: linked.id,
          chain,
          detail: `positions ${missingFrom} to ${seq - 1} are missing before this record`,
        });
        missingFrom = -1;
      } else if (recordHash(linked) !== linked.security.hash) {
        problems.push({ kind: 'edited', id: linked.id, chain, detail: 'its hash does not match' });
      } else if (
        head !== undefined
          ? linked.security.prev !== head
          : seq === 0 && linked.security.prev !== GENESIS
      ) {
        problems.push({
          kind: 'edited',
          id: linked.id,
          chain,
          detail: 'it does not link to the record before it',
        });
      }
      if (linked.security.checkpoint !== undefined) {
        checkpoints++;
        if (!checkpointOk(linked, key))
          problems.push({
            kind: 'bad-checkpoint',
            id: linked.id,
            chain,
            detail:
              key === undefined
                ? 'no public key to check its signature'
                : 'its signature does not verify',
          });
      }
      genuine.add(linked);
      head = linked.security.hash;
    }
    // Records stored out of chain order: each one behind a record that comes after it.
    let ahead: Chained | undefined;
    const reordered = new Set<Chained>();
    for (const r of list) {
      if (!genuine.has(r)) continue;
      if (ahead !== undefined && r.security.seq! < ahead.security.seq!) {
        reordered.add(ahead);
        reordered.add(r);
      } else ahead = r;
    }
    for (const r of list)
      if (reordered.has(r))
        problems.push({
          kind: 'reordered',
          id: r.id,
          chain,
          detail: `stored out of its place in the chain (position ${r.security.seq})`,
        });
    summary.push({ chain, records: list.length, checkpoints });
  }
  return { ok: problems.length === 0, chains: summary, problems };
}
