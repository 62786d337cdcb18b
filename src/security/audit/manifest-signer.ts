import { createHash, createPublicKey } from 'node:crypto';

/**
 * Signs export manifests. `LocalSigner` keeps an Ed25519 key pair under `$KAIROS_HOME/keys`; a
 * KMS asymmetric key can implement the same port with the cloud issue.
 */
export interface ManifestSigner {
  readonly algorithm: 'Ed25519';
  /** `keyIdOf(publicKeyPem)`: lets a verifier tell which key signed. */
  readonly keyId: string;
  /** The public key (SPKI PEM) that verifies the signatures. */
  readonly publicKeyPem: string;
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/**
 * A public key's id: SHA-256 of its DER (SubjectPublicKeyInfo) encoding, lower-case hex.
 *
 * @example
 * keyIdOf(readFileSync('var/keys/audit-signing.pub', 'utf8')); // 'a3f1…' (64 hex digits)
 */
export function keyIdOf(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
}
