/**
 * Where an encrypted field lives. It is bound to the ciphertext (GCM associated data
 * `table/column/rowId`, and the data key's wrapping context), so a ciphertext copied to another
 * row or column does not decrypt. Not secret: KMS writes its context to CloudTrail.
 */
export interface FieldLocation {
  readonly table: string;
  readonly column: string;
  readonly rowId: string;
}

/**
 * Wraps and unwraps data keys under a master key (envelope encryption). `LocalKeyProvider` keeps
 * the master key in a file under `$KAIROS_HOME/keys`; `KmsKeyProvider` (`src/cloud/kms`) is AWS
 * KMS `Encrypt`/`Decrypt` with the location as encryption context, `keyId` = the key ARN.
 */
export interface KeyProvider {
  /** Names the master key in every envelope it wraps: letters, digits and `:/_+=@-`, no dot. */
  readonly keyId: string;
  /** Encrypts a 32-byte data key, bound to `at`. */
  wrap(dataKey: Uint8Array, at: FieldLocation): Promise<Uint8Array>;
  /** Decrypts a wrapped data key; throws `ENCRYPTION_DECRYPT_FAILED` for another location or key. */
  unwrap(wrapped: Uint8Array, at: FieldLocation): Promise<Uint8Array>;
}
