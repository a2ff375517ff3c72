import type { BundleAbout } from './bundle.js';

/** The README.txt of an evidence bundle: for its recipient, who may never have seen this library. */
export function bundleReadme(about: BundleAbout): string {
  const scope = [
    `${about.incident.kind === 'hold' ? 'legal hold' : 'reason code'} "${about.incident.id}"`,
    about.incident.from === undefined ? '' : `from ${about.incident.from}`,
    about.incident.to === undefined ? '' : `to ${about.incident.to}`,
  ]
    .filter((part) => part !== '')
    .join(', ');
  const unchained =
    about.unchained.length === 0
      ? ''
      : `
${about.unchained.length} record(s) of the incident are in no hash chain: they were stored as
ordinary, minimised records and placed under a hold later. Nothing proves them before the export;
from the export on, the manifest does. They are listed in bundle.json ("unchained").
`;
  return `EVIDENCE BUNDLE: ACCESS-LOG RECORDS OF A SECURITY INCIDENT

Made ${about.createdAt} by ${about.library}.
Incident: ${scope}. Records: ${about.records}, under policy ${about.policies.join(', ') || '(none)'}.
Key that signed the checkpoints, SHA-256 of its DER (SPKI) form:
  ${about.publicKey ?? '(none: this bundle carries no signatures)'}
Compare it with the fingerprint the sender gave you by other means (letter, telephone).

FILES
  records.ndjson      the incident's records, one JSON object per line
  links.ndjson        other records of the same hash chains, needed to link each incident
                      record to the next signed checkpoint (often empty)
  checkpoints.ndjson  signed checkpoints: chain, count, head hash, time, Ed25519 signature
  signing-key.pub.pem the public key that verifies the checkpoints
  bundle.json         what the bundle holds (incident, policy, library version, counts)
  MANIFEST.sha256     the SHA-256 of every other file

HOW TO VERIFY
1. Compute the SHA-256 of MANIFEST.sha256 and compare it with the one in the sender's
   disclosure record. Then check every file against it:
     sha256sum -c MANIFEST.sha256          (or: shasum -a 256 -c MANIFEST.sha256)
2. Check the records themselves, offline, with the public key you received separately:
     npx express-privacy-log evidence verify <this directory> --public-key <key.pem>
   It checks the manifest, recomputes each record's hash, follows each record's hash chain to a
   signed checkpoint and checks every signature. Exit code 0 only when everything verifies; any
   failure names the file and the record.

HOW A PART OF A CHAIN IS PROVED
Each security record carries its chain, its position (seq), the hash of the record before it
(prev) and its own hash: SHA-256 over the record serialised as JSON with sorted keys, prev included
and hash left out. A checkpoint is an Ed25519 signature over the chain id, a count of records and
the hash of the newest of them, made by the logger as it wrote the chain (or, marked "from":
"export", by the sender when the chain had no later checkpoint yet). To prove an incident record,
the verifier recomputes its hash and follows the records after it (in links.ndjson) until a signed
checkpoint names that hash as the chain's head. Changing, removing or inserting anything in between
breaks a hash or a signature. Records of the chain that are not needed for this stay out of the
bundle: they concern other people.
${unchained}
The records are personal data. Keep this bundle only as long as the case needs it.
`;
}
