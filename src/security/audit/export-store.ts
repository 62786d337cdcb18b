/**
 * Write-once retention for an exported object (S3 Object Lock, COMPLIANCE mode): no one can
 * overwrite or delete it before `retainUntil` (ms since the epoch).
 */
export interface ExportLock {
  readonly mode: 'COMPLIANCE';
  readonly retainUntil: number;
}

/** What a store answers for a written object: its version id, when the store keeps versions. */
export interface ExportReceipt {
  readonly versionId?: string;
}

/**
 * Where an export is written: the slice of `src/cloud`'s `ObjectStore` an export needs, so this
 * folder depends on no adapter (the composition root in `src/system` hands in `src/cloud`'s
 * folder or S3 store). Keys are relative, `/`-separated names. A store never overwrites:
 * putting a key that exists fails (`OBJECT_EXISTS`; `src/system` reports `AUDIT_EXPORT_EXISTS`).
 *
 * @example
 * const { versionId } = (await store.put('manifest.json', bytes, { lock })) ?? {};
 */
export interface ExportStore {
  put(
    key: string,
    bytes: Uint8Array,
    options?: { readonly lock?: ExportLock },
  ): Promise<ExportReceipt | void>;
}

/**
 * Where an export is read back from, for `verifyExport`: a folder or a bucket. `read` answers
 * null when the object is absent and throws a `KairosError` when the store cannot answer (the
 * verifier reports `OBJECT_CHECKSUM_MISMATCH` as a bad file, and passes other errors on).
 *
 * @example
 * const source: ExportSource = { location: 's3://b/p', read: (name, v) => store.get(name, { versionId: v }) };
 */
export interface ExportSource {
  readonly location: string;
  read(name: string, versionId?: string): Promise<Uint8Array | null>;
}
