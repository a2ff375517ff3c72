/** An evidence export or bundle that cannot be made or read; the message names what and why. */
export class EvidenceError extends Error {
  override name = 'EvidenceError';
}
