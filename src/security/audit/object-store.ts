/**
 * Where exports are written: a local folder now (`LocalFolderStore`), an S3 bucket with Object
 * Lock (COMPLIANCE mode) with the cloud issue. Keys are relative, `/`-separated names. A store
 * never overwrites: putting a key that exists fails with `AUDIT_EXPORT_EXISTS`.
 */
export interface ObjectStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
}
