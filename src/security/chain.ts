import { createPrivateKey, type KeyObject, randomUUID, sign } from 'node:crypto';
import type { AccessRecord } from '../record.js';
import { checkpointMessage, recordHash } from './canonical.js';

/** The `prev` of a chain's first record: no record comes before it. */
export const GENESIS = 'genesis-00000000';

/**
 * One hash chain of security records. Each logger's processor keeps its own, named by a random
 * chain id: several processes writing to one database keep a chain each, so the request path
 * (and even the background stage) needs no lock shared between processes. The chain lives in the
 * records themselves (`chain`, `seq`, `prev`, `hash`, and the signed `checkpoint`), so every store
 * that keeps records keeps the chain, with no table of its own.
 */
export class SecurityChain {
  readonly id = randomUUID();
  #seq = 0;
  #head = GENESIS;
  readonly #key: KeyObject | undefined;
  readonly #every: number;

  /**
   * @param signingKey Ed25519 private key (a KeyObject or PEM text) that signs checkpoints.
   * @param every A checkpoint on every `every`-th record (the first one included).
   */
  constructor(signingKey: KeyObject | string | undefined, every: number) {
    this.#key =
      signingKey === undefined
        ? undefined
        : typeof signingKey === 'string'
          ? createPrivateKey(signingKey)
          : signingKey;
    if (this.#key !== undefined && this.#key.asymmetricKeyType !== 'ed25519')
      throw new TypeError('the checkpoint signing key must be an Ed25519 private key');
    this.#every = every;
  }

  /** Link a flagged record into the chain: set `chain`, `seq`, `prev`, maybe a checkpoint, `hash`. */
  link(record: AccessRecord): void {
    const security = record.security;
    if (security === undefined) return;
    const seq = this.#seq++;
    security.chain = this.id;
    security.seq = seq;
    security.prev = this.#head;
    if (this.#key !== undefined && seq % this.#every === 0) {
      // Signs the head before this record and how many records came before: whoever holds the
      // public key can tell a rewritten chain from the one written here.
      const time = new Date().toISOString();
      const sig = sign(null, checkpointMessage(this.id, seq, this.#head, time), this.#key);
      security.checkpoint = { count: seq, time, sig: sig.toString('base64url') };
    }
    security.hash = recordHash(record);
    this.#head = security.hash;
  }
}
