/**
 * Retention under S3 Object Lock: the object version cannot be overwritten or deleted, by anyone,
 * before `retainUntil` (ms since the epoch). Only COMPLIANCE mode is written (GOVERNANCE can be
 * lifted by a privileged user, which an audit trail must not allow).
 */
export interface ObjectLock {
  readonly mode: 'COMPLIANCE';
  readonly retainUntil: number;
}

/** What a store says about write-once protection of its objects. */
export interface ObjectLockStatus {
  /** Object Lock is enabled on the bucket (always false for a local folder). */
  readonly enabled: boolean;
  /** The bucket's default retention, in days, when it has one. */
  readonly defaultRetentionDays?: number;
}

/** The bytes to store: in memory, or a file read as a stream (large market data files). */
export type ObjectBody = Uint8Array | { readonly file: string };

/** How to write one object. */
export interface PutOptions {
  /** Replace an object already at the key (default: refuse with `OBJECT_EXISTS`). */
  readonly overwrite?: boolean;
  /** Write the object under Object Lock retention (S3 only; a local folder refuses it). */
  readonly lock?: ObjectLock;
  readonly contentType?: string;
}

/** One stored object. */
export interface ObjectInfo {
  /** The key relative to the store's location. */
  readonly key: string;
  readonly bytes: number;
  /** SHA-256 of the content (hex) as recorded on write; null when unknown (listing, foreign objects). */
  readonly sha256: string | null;
  /** The S3 version id, when the bucket keeps versions. */
  readonly versionId?: string;
  /** Retention the object was written under, when it was locked. */
  readonly lock?: ObjectLock;
}

/** How to read one object. */
export interface GetOptions {
  /** A particular version (S3 version id); default: the current one. */
  readonly versionId?: string;
  /** The SHA-256 (hex) the caller expects, checked on top of the one recorded on write. */
  readonly sha256?: string;
}

/**
 * An object opened for reading as a stream: its size, known before any byte is read, and its
 * bytes, fetched only when iterated (once). The bytes are those of the object whose size was
 * read: one replaced in between fails with `OBJECT_CHANGED` (S3: the GET is pinned to the HEAD's
 * ETag) before any byte of it. After the last chunk they are checked as `get` checks them
 * (`OBJECT_CHECKSUM_MISMATCH`, thrown at the end); stopping early reads no further.
 */
export interface ObjectReader {
  readonly bytes: number;
  chunks(): AsyncIterable<Uint8Array>;
  /**
   * The SHA-256 (hex) of the bytes, computed as they streamed by: once `chunks()` has run to
   * its end (and the bytes were checked), else null. A reader that needs the hash takes it here
   * instead of hashing the bytes a second time.
   */
  digest(): string | null;
}

/**
 * Where Kairos keeps files that outlive a process: audit exports, backtest reports, market data.
 * Two adapters: `LocalObjectStore` (a folder, the embedded default) and `S3ObjectStore` (a bucket
 * and prefix, `s3://bucket/prefix`). Keys are relative `/`-separated names (`OBJECT_KEY_INVALID`
 * otherwise). Every put records the content's SHA-256 and every get checks it
 * (`OBJECT_CHECKSUM_MISMATCH`), so a corrupted transfer or stored copy is never read as good.
 * Writes are whole or nothing: a reader never sees half an object.
 *
 * @example
 * const info = await store.put('reports/report.json', bytes);
 * const back = await store.get('reports/report.json'); // checked against info.sha256
 */
export interface ObjectStore {
  /** Where the store writes, for people: a folder path or `s3://bucket/prefix`. */
  readonly location: string;
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<ObjectInfo>;
  /** The object's bytes, checked; `OBJECT_NOT_FOUND` when there is none. */
  get(key: string, options?: GetOptions): Promise<Uint8Array>;
  /**
   * The object's size (a HEAD or a `stat`: nothing read yet) and its bytes as a stream, so a
   * reader can refuse a large object unread and hold no object whole; null when there is none.
   */
  stream(key: string, options?: GetOptions): Promise<ObjectReader | null>;
  /** The object's size, checksum and version; null when there is none. */
  head(key: string): Promise<ObjectInfo | null>;
  /** Every object whose key starts with `prefix` (default: all), in key order. */
  list(prefix?: string): Promise<ObjectInfo[]>;
  /** Whether the bucket has Object Lock (and its default retention). */
  objectLock(): Promise<ObjectLockStatus>;
}
