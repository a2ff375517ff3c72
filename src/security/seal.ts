import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';

/**
 * Sealed addresses: the full address of a flagged request, encrypted to an investigator's X25519
 * public key so that the server never keeps it in clear and only the holder of the private key
 * can open it. Each seal uses a fresh ephemeral key pair (ECDH), HKDF-SHA-256 for the AES key and
 * AES-256-GCM, with the record id as associated data: a sealed value moved to another record no
 * longer opens.
 *
 * Format: `x25519.v1.<ephemeral public key>.<iv>.<ciphertext>.<tag>`, each part base64url.
 */
const PREFIX = 'x25519.v1';
const INFO = Buffer.from('express-privacy-log sealed address v1');

function aesKey(shared: Buffer, ephemeral: string): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.from(ephemeral, 'base64url'), INFO, 32));
}

/** The investigator's X25519 public key from a KeyObject or PEM text (a private key gives its public half). */
export function investigatorPublicKey(key: KeyObject | string): KeyObject {
  const object =
    typeof key === 'string'
      ? createPublicKey(key)
      : key.type === 'private'
        ? createPublicKey(key)
        : key;
  if (object.asymmetricKeyType !== 'x25519')
    throw new TypeError('the investigator key must be an X25519 key');
  return object;
}

/** Seal `address` for the holder of `publicKey`, bound to the record `id`. */
export function seal(address: string, publicKey: KeyObject, id: string): string {
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralRaw = ephemeral.publicKey.export({ format: 'jwk' }).x!;
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey });
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', aesKey(shared, ephemeralRaw), iv);
  cipher.setAAD(Buffer.from(id));
  const body = Buffer.concat([cipher.update(address, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [
    PREFIX,
    ephemeralRaw,
    iv.toString('base64url'),
    body.toString('base64url'),
    tag.toString('base64url'),
  ].join('.');
}

/** Why a sealed value did not open. */
export class SealError extends Error {
  override readonly name = 'SealError';
}

/**
 * Open a sealed value with the investigator's private key (KeyObject or PEM text).
 * @throws {SealError} For a malformed value, another key, another record id or altered bytes.
 */
export function openSealed(sealed: string, privateKey: KeyObject | string, id: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 6 || `${parts[0]}.${parts[1]}` !== PREFIX)
    throw new SealError('not a sealed value of this format');
  const [, , ephemeralRaw, iv, body, tag] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  try {
    const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
    const ephemeral = createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: ephemeralRaw },
      format: 'jwk',
    });
    const shared = diffieHellman({ privateKey: key, publicKey: ephemeral });
    const decipher = createDecipheriv(
      'aes-256-gcm',
      aesKey(shared, ephemeralRaw),
      Buffer.from(iv, 'base64url'),
    );
    decipher.setAAD(Buffer.from(id));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(body, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    throw new SealError('the sealed address does not open with this key (wrong key, or altered)');
  }
}
