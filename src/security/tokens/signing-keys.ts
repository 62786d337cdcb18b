import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { KairosError } from '../../trading/core/errors.js';

/** The one JWT algorithm Kairos signs and accepts (jsonwebtoken 9 has no EdDSA). */
export const SIGNING_ALGORITHM = 'ES256';

/** An ECDSA P-256 key pair named by its `kid` (the RFC 7638 thumbprint of the public key). */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** A key that no longer signs but still verifies until `retiresAt` (ms). */
export interface RetiringKey {
  readonly key: SigningKey;
  readonly retiresAt: number;
}

/** A public key as published in a JWKS document. */
export type PublicJwk = JsonWebKey & { kid: string; alg: string; use: 'sig' };

/**
 * The access-token signing keys: the current key signs; previous keys keep verifying until
 * their overlap ends, so rotating never logs anyone out. Keys only ever come from here, never
 * from a token header (`jku`, `x5u`, `jwk` are ignored).
 *
 * @example
 * const keys = new SigningKeys(now, SigningKeys.generateKey());
 * // later, e.g. daily: the old key verifies for 10 more minutes (the longest access TTL)
 * keys.rotate(SigningKeys.generateKey(), 10 * 60_000);
 */
export class SigningKeys {
  private currentKey: SigningKey;
  private previous: RetiringKey[];

  /**
   * @param now wall-clock ms, for retiring keys
   * @param current the key that signs
   * @param previous keys that still verify until their `retiresAt` (e.g. loaded from storage)
   */
  constructor(
    private readonly now: () => number,
    current: SigningKey,
    previous: readonly RetiringKey[] = [],
  ) {
    for (const k of [current, ...previous.map((p) => p.key)]) checkKey(k);
    this.currentKey = current;
    this.previous = previous.filter((p) => p.key.kid !== current.kid);
  }

  /** A new random P-256 key pair. */
  static generateKey(): SigningKey {
    // The pair comes encoded and is read back as new keys. Node 20's KeyObjects from
    // generateKeyPairSync share a lock with the job that made them, and the job's destructor
    // takes it: a garbage collection that frees the job while that lock is held (reading
    // `asymmetricKeyDetails`, which allocates under it) hangs the thread for good (seen in a
    // test run: GetEcKeyDetail -> GC -> ~KeyGenJob -> pthread_mutex_lock).
    const { privateKey: der } = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      privateKeyEncoding: { type: 'pkcs8', format: 'der' },
      publicKeyEncoding: { type: 'spki', format: 'der' },
    });
    const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    const publicKey = createPublicKey(privateKey);
    return { kid: thumbprint(publicKey), privateKey, publicKey };
  }

  /** A key from a PKCS#8 PEM private key (as stored, after decryption). */
  static keyFromPem(privateKeyPem: string): SigningKey {
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(privateKeyPem);
    } catch (cause) {
      throw new KairosError('CONFIG_INVALID', 'signing key: not a PEM private key', { cause });
    }
    const publicKey = createPublicKey(privateKey);
    return checkKey({ kid: thumbprint(publicKey), privateKey, publicKey });
  }

  /** The PKCS#8 PEM of a key's private half, to store (encrypted). */
  static toPem(key: SigningKey): string {
    return key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }

  /** The key that signs new tokens. */
  current(): SigningKey {
    return this.currentKey;
  }

  /** The keys that still verify but no longer sign, with when each retires. */
  retiring(): readonly RetiringKey[] {
    const now = this.now();
    return this.previous.filter((p) => now < p.retiresAt);
  }

  /**
   * Makes `next` the signing key; the old current key keeps verifying for `overlapMs` (use at
   * least the access-token TTL so every token it signed can live out its life).
   */
  rotate(next: SigningKey, overlapMs: number): void {
    checkKey(next);
    if (!Number.isFinite(overlapMs) || overlapMs < 0) {
      throw new KairosError('CONFIG_INVALID', 'signing key overlap: must be ≥ 0 ms');
    }
    if (next.kid === this.currentKey.kid) {
      throw new KairosError('CONFIG_INVALID', 'signing key: the new key is the current key');
    }
    const retiresAt = this.now() + overlapMs;
    this.previous = [
      ...this.retiring().filter((p) => p.key.kid !== next.kid),
      { key: this.currentKey, retiresAt },
    ];
    this.currentKey = next;
  }

  /** The public key for `kid` if it may verify now (current, or previous and not retired). */
  verificationKey(kid: string): KeyObject | undefined {
    if (kid === this.currentKey.kid) return this.currentKey.publicKey;
    return this.retiring().find((p) => p.key.kid === kid)?.key.publicKey;
  }

  /** The JWKS document of every key that may verify now, for other services. */
  jwks(): { keys: PublicJwk[] } {
    return {
      keys: [this.currentKey, ...this.retiring().map((p) => p.key)].map((k) => ({
        ...k.publicKey.export({ format: 'jwk' }),
        kid: k.kid,
        alg: SIGNING_ALGORITHM,
        use: 'sig',
      })),
    };
  }
}

function checkKey(key: SigningKey): SigningKey {
  const ok = (k: KeyObject) =>
    // Stryker disable next-line ConditionalExpression: equivalent, only an EC key has a namedCurve
    k.asymmetricKeyType === 'ec' && k.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  if (
    key.privateKey.type !== 'private' ||
    !ok(key.privateKey) ||
    key.publicKey.type !== 'public' ||
    !ok(key.publicKey)
  ) {
    throw new KairosError('CONFIG_INVALID', `signing key ${key.kid}: must be an EC P-256 key pair`);
  }
  return key;
}

// RFC 7638: SHA-256 over the required members in lexicographic order, base64url.
function thumbprint(publicKey: KeyObject): string {
  const { crv, kty, x, y } = publicKey.export({ format: 'jwk' });
  return createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
}
