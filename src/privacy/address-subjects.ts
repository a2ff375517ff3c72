/**
 * Whether a client address may name a subject. It can only where the policy keeps addresses in
 * full: a truncated address names a network (a /24 is up to 256 addresses: a household, an office,
 * a carrier's customers), and a keyed hash is made with a key that is destroyed when it rotates, so
 * past records cannot be found from the address. Asking by address there would hand one person
 * other people's records, or find nothing while looking like an answer; it is refused instead.
 */
import type { DefinedPolicy } from '../policy/define.js';
import type { HoldScope, Subject } from '../stores/store.js';

/** A request by client address under a policy that does not keep addresses in full. */
export class SubjectRefusedError extends Error {
  override readonly name = 'SubjectRefusedError';
  /** Stable code for logs and callers. */
  readonly code = 'ERR_SUBJECT_BY_ADDRESS';
}

/**
 * Why the records of these policies cannot be found by address, or undefined when every policy
 * keeps full addresses. A logger with several policies (by region) refuses as soon as one of them
 * truncates: its records sit in the same stores, and a truncated `203.0.113.0` would match the
 * full address `203.0.113.0`.
 */
export function addressRefusal(policies: readonly DefinedPolicy[]): string | undefined {
  for (const policy of policies) {
    const client = policy.categories.client;
    const mode = client?.ip.mode ?? 'none';
    if (mode === 'full') continue;
    const name = `the "${policy.name}" policy`;
    if (mode === 'truncate') {
      const v4 = client!.ip.ipv4Prefix;
      const v6 = client!.ip.ipv6Prefix;
      return `${name} keeps addresses truncated to /${v4} for IPv4 and /${v6} for IPv6: a truncated address names a network of up to ${2 ** (32 - v4)} IPv4 addresses, not one person, so records cannot be asked for by address; ask by visitor id or e-mail`;
    }
    if (mode === 'hash') {
      return `${name} keeps addresses only as keyed hashes whose key is destroyed every ${client!.ip.keyRotation}, so past records cannot be found by address; ask by visitor id or e-mail`;
    }
    return `${name} does not record client addresses; ask by visitor id or e-mail`;
  }
  return undefined;
}

/** Throw {@link SubjectRefusedError} when `subject` is an address and `refusal` says why not. */
export function refuseAddress(subject: Subject | undefined, refusal: string | undefined): void {
  if (subject !== undefined && 'ip' in subject && refusal !== undefined) {
    throw new SubjectRefusedError(`subject by address refused: ${refusal}`);
  }
}

/** {@link refuseAddress} for a hold's scope. */
export function refuseAddressScope(
  scope: HoldScope | undefined,
  refusal: string | undefined,
): void {
  if (scope !== null && typeof scope === 'object') refuseAddress(scope.subject, refusal);
}
