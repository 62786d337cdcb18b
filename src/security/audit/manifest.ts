import { canonicalJson } from './canonical.js';

/**
 * One exported file: its name in the export folder, size and SHA-256 (hex), and, in a bucket that
 * keeps versions (Object Lock), the version id S3 gave it (the verifier reads that version).
 */
export interface ManifestFile {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly versionId?: string;
}

/**
 * An export's layout. 2: rows are selected by wall time and carry `wall_ts` and `hash_version`
 * (JSONL) or `wall_ts`, `wall_time` and `hash_version` (CSV). 1 (before migration 0008): rows
 * selected by `ts`, without those fields. The verifier reads both.
 */
export type ExportVersion = 1 | 2;

/** The layout `exportAudit` writes. */
export const EXPORT_VERSION: ExportVersion = 2;

/**
 * `manifest.json` of an audit export. Everything but `signature` is signed: the signature is
 * Ed25519 over `canonicalJson(manifest without signature)`.
 */
export interface Manifest {
  readonly format: 'kairos-audit-export';
  readonly version: ExportVersion;
  /**
   * The requested time range, `[from, to)`, ISO-8601 UTC and ms since the epoch: of the rows'
   * wall time (`rangeOf: 'wall_ts'`), or of their `ts` in a version 1 export.
   */
  readonly from: string;
  readonly to: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly rowCount: number;
  /** null when the range holds no row. */
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  /** The `prev_hash` of the first row: where this export joins the chain before it. */
  readonly anchorHash: string | null;
  readonly firstHash: string | null;
  readonly lastHash: string | null;
  /** What the range selects on; absent in a version 1 export (where it is `ts`). */
  readonly rangeOf?: 'wall_ts';
  /** Time (`ts`, the market time of a replayed run) of the first and last row (ms). */
  readonly firstTs: number | null;
  readonly lastTs: number | null;
  /** Wall time of the first and last row (ms); absent in a version 1 export. */
  readonly firstWallTs?: number | null;
  readonly lastWallTs?: number | null;
  /** How each row's hash is made, for a reader who has only this folder. */
  readonly chain: string;
  readonly files: readonly ManifestFile[];
  /** The S3 Object Lock retention every object was written under; absent when not locked. */
  readonly objectLock?: { readonly mode: 'COMPLIANCE'; readonly retainUntil: string };
  readonly createdAt: string;
  readonly signature: {
    readonly algorithm: 'Ed25519';
    /** SHA-256 of the signing public key (SPKI DER), hex. */
    readonly keyId: string;
    /** base64 */
    readonly value: string;
  };
}

/** The manifest's name in an export folder. */
export const MANIFEST_FILE = 'manifest.json';

/** The chain rule as written into every manifest. */
export const CHAIN_RULE =
  'hash = sha256_hex(utf8(prev_hash_hex + canonical_json(row))); ' +
  'row = {action,actor,hash_version,payload,role,seq,subject,ts,wall_ts} when hash_version = 2, ' +
  '{action,actor,payload,role,seq,subject,ts} when hash_version = 1 (and then wall_ts = ts); ' +
  'canonical_json = RFC 8785 (JCS); the first row of the log links to 64 zeros';

/**
 * The bytes the signature covers: canonical JSON of the manifest without `signature`.
 *
 * @example
 * verify(null, signedBytes(manifest), publicKey, Buffer.from(manifest.signature.value, 'base64'));
 */
export function signedBytes(
  manifest: Omit<Manifest, 'signature'> & { signature?: unknown },
): Buffer {
  const { signature: _signature, ...unsigned } = manifest;
  return Buffer.from(canonicalJson(unsigned), 'utf8');
}
