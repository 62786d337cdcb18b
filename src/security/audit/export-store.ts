import { readFile } from 'node:fs/promises';
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
    /** The bytes, or a file holding them (an export spooled page by page). */
    bytes: Uint8Array | { readonly file: string },
    options?: { readonly lock?: ExportLock },
  ): Promise<ExportReceipt | void>;
}

/**
 * One file of an export opened for reading: its size, known first, then its bytes in order. A
 * source that hashes the bytes as they stream gives `digest`: their SHA-256 (hex) once the
 * chunks ran to their end (null before), which the verifier then takes instead of hashing them
 * again.
 */
export interface ExportObject {
  readonly size: number;
  chunks(): AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  digest?(): string | null;
}

/**
 * Where an export is read back from, for `verifyExport`: a folder or a bucket. `open` answers
 * the object's size before any byte is read (so the verifier refuses a large one unread) and
 * its bytes as a stream, or null when the object is absent. Either throws a `KairosError` when
 * the store cannot answer (the verifier reports `OBJECT_CHECKSUM_MISMATCH` as a bad file and
 * `OBJECT_CHANGED`, an object replaced after its size was read, as a file that changed during
 * verification, and passes other codes on); any other error while reading is a file that
 * cannot be read.
 *
 * @example
 * const source: ExportSource = { location: 'mem', open: async (name) => ({ size: 2, chunks: () => [bytes] }) };
 */
export interface ExportSource {
  readonly location: string;
  open(name: string, versionId?: string): Promise<ExportObject | null>;
}

/**
 * The bytes of a put's body (a spooled file read back): what a store that keeps objects in memory
 * holds.
 *
 * @example
 * const store: ExportStore = { put: async (key, body) => void files.set(key, await bodyBytes(body)) };
 */
export async function bodyBytes(body: Uint8Array | { readonly file: string }): Promise<Uint8Array> {
  return body instanceof Uint8Array ? body : readFile(body.file);
}
