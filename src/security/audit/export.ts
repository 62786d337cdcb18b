import { createHash, type Hash } from 'node:crypto';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KairosError } from '../../trading/core/errors.js';
import type { AuditRecord } from './audit-record.js';
import { csv } from './csv-format.js';
import { ChainWalk } from './first-break.js';
import { jsonl } from './jsonl-format.js';
import {
  CHAIN_RULE,
  EXPORT_VERSION,
  MANIFEST_FILE,
  signedBytes,
  type Manifest,
  type ManifestFile,
} from './manifest.js';
import type { ManifestSigner } from './manifest-signer.js';
import type { ExportLock, ExportStore } from './export-store.js';

/** The latest end of an export range, 9999-12-31 (file names carry 4-digit years). */
export const MAX_EXPORT_MS = 253_402_214_400_000; // 9999-12-31T00:00:00Z

/** What to export and where. */
export interface ExportRequest {
  /**
   * The rows with wall time in `[from, to)`, in `seq` order, gapless (as `AuditRepository.list`
   * returns them), at once or page by page (`AuditRepository.page`): a range of millions of rows
   * is never held whole, nor written as one string.
   */
  readonly rows: readonly AuditRecord[] | AsyncIterable<readonly AuditRecord[]>;
  /** Where the files are spooled before they are stored (default: the system's temporary folder). */
  readonly spool?: string;
  readonly from: number;
  readonly to: number;
  readonly store: ExportStore;
  readonly signer: ManifestSigner;
  /**
   * Object Lock retention for every object (a bucket with Object Lock); the manifest records it
   * and each object's version id. Absent: plain write-once objects (a folder, `--no-lock`).
   */
  readonly lock?: ExportLock;
  /** The export time (ms), written as `createdAt`. */
  readonly now: number;
}

/** The written export: its manifest and the object keys, manifest last. */
export interface ExportResult {
  readonly manifest: Manifest;
  readonly keys: readonly string[];
}

/**
 * Writes an audit export of a wall-time range: `audit-<from>-<to>.jsonl`, the same rows as
 * `.csv`, the signer's `public-key.pem`, and `manifest.json` last (row count, first/last seq and
 * hash, the hash the first row links to, time range, first/last market and wall time, SHA-256 of
 * each file) signed with Ed25519. A reader who finds the manifest finds every file it names:
 * the files are written first, and the manifest (with the version id each put answered, and the
 * retention when `lock` is given) is signed and written only when all of them are stored, so a
 * failed upload never leaves an export that verifies.
 *
 * @example
 * await exportAudit({ rows, from, to, store: new LocalObjectStore(out), signer, now: Date.now() });
 */
export async function exportAudit(req: ExportRequest): Promise<ExportResult> {
  const { from, to } = req;
  if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from < to)) {
    throw new KairosError('USAGE', `export range: from (${from}) must be before to (${to})`);
  }
  if (from < 0 || to > MAX_EXPORT_MS) {
    throw new KairosError('USAGE', `export range: from and to must lie in 0…${MAX_EXPORT_MS} (ms)`);
  }
  const base = `audit-${stamp(from)}-${stamp(to)}`;
  // Stryker disable next-line StringLiteral: equivalent, the spool folder's name is never read
  const dir = await mkdtemp(path.join(req.spool ?? os.tmpdir(), 'kairos-export-'));
  try {
    const jsonlFile = await Spooled.open(path.join(dir, `${base}.jsonl`));
    const csvFile = await Spooled.open(path.join(dir, `${base}.csv`));
    let walk: ChainWalk | null = null;
    let first: AuditRecord | undefined;
    let last: AuditRecord | undefined;
    let count = 0;
    try {
      await csvFile.write(csv.head());
      for await (const page of pagesOf(req.rows)) {
        if (page.length === 0) continue;
        first ??= page[0]!;
        last = page.at(-1)!;
        count += page.length;
        walk ??= new ChainWalk({ firstSeq: first.seq, anchorHash: first.prevHash });
        for (const record of page) walk.push({ ok: true, record });
        await jsonlFile.write(jsonl.write(page));
        await csvFile.write(csv.rows(page));
      }
    } finally {
      await jsonlFile.close();
      await csvFile.close();
    }
    // Sign nothing that is not one intact chain: every row must hash to its hash and link to the
    // row before (rows altered in the database, even with a recomputed hash, are caught here),
    // and nothing is stored before that is known.
    const broken = walk?.end() ?? null;
    if (broken) {
      throw new KairosError(
        'AUDIT_CHAIN_BROKEN',
        `first bad seq ${broken.seq} (${broken.kind}): ${broken.detail}; the stored log was changed outside Kairos`,
      );
    }
    const key = new TextEncoder().encode(req.signer.publicKeyPem);
    const contents: [string, Spooled | Uint8Array][] = [
      [`${base}.jsonl`, jsonlFile],
      [`${base}.csv`, csvFile],
      ['public-key.pem', key],
    ];
    const files: ManifestFile[] = [];
    for (const [name, body] of contents) {
      const spooled = body instanceof Spooled;
      const receipt = await req.store.put(
        name,
        spooled ? { file: body.file } : body,
        req.lock ? { lock: req.lock } : undefined,
      );
      files.push({
        name,
        bytes: spooled ? body.bytes : body.length,
        sha256: spooled ? body.sha256 : createHash('sha256').update(body).digest('hex'),
        ...(receipt?.versionId ? { versionId: receipt.versionId } : {}),
      });
    }
    return await signed(req, { count, first, last, files });
  } finally {
    // Stryker disable next-line BooleanLiteral: equivalent, the folder is there (made above)
    await rm(dir, { recursive: true, force: true });
  }
}

/** The manifest of the stored files, signed and stored last. */
async function signed(
  req: ExportRequest,
  {
    count,
    first,
    last,
    files,
  }: {
    count: number;
    first: AuditRecord | undefined;
    last: AuditRecord | undefined;
    files: ManifestFile[];
  },
): Promise<ExportResult> {
  const { from, to } = req;
  const unsigned: Omit<Manifest, 'signature'> = {
    format: 'kairos-audit-export',
    version: EXPORT_VERSION,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    fromMs: from,
    toMs: to,
    rangeOf: 'wall_ts',
    rowCount: count,
    firstSeq: first?.seq ?? null,
    lastSeq: last?.seq ?? null,
    anchorHash: first?.prevHash ?? null,
    firstHash: first?.hash ?? null,
    lastHash: last?.hash ?? null,
    firstTs: first?.ts ?? null,
    lastTs: last?.ts ?? null,
    firstWallTs: first?.wallTs ?? null,
    lastWallTs: last?.wallTs ?? null,
    chain: CHAIN_RULE,
    files,
    ...(req.lock
      ? {
          objectLock: {
            mode: req.lock.mode,
            retainUntil: new Date(req.lock.retainUntil).toISOString(),
          },
        }
      : {}),
    createdAt: new Date(req.now).toISOString(),
  };
  const signature = await req.signer.sign(signedBytes(unsigned));
  const manifest: Manifest = {
    ...unsigned,
    signature: {
      algorithm: req.signer.algorithm,
      keyId: req.signer.keyId,
      value: Buffer.from(signature).toString('base64'),
    },
  };
  const manifestBytes = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  await req.store.put(MANIFEST_FILE, manifestBytes, req.lock ? { lock: req.lock } : undefined);
  return { manifest, keys: [...files.map((f) => f.name), MANIFEST_FILE] };
}

/** The rows page by page (an array is one page). */
async function* pagesOf(rows: ExportRequest['rows']): AsyncIterable<readonly AuditRecord[]> {
  if (Array.isArray(rows)) yield rows as readonly AuditRecord[];
  else yield* rows as AsyncIterable<readonly AuditRecord[]>;
}

/** A file written chunk by chunk, its SHA-256 and size counted as it is written. */
class Spooled {
  readonly #hash: Hash = createHash('sha256');
  bytes = 0;
  #sha256: string | null = null;

  private constructor(
    readonly file: string,
    private readonly fh: FileHandle,
  ) {}

  static async open(file: string): Promise<Spooled> {
    return new Spooled(file, await open(file, 'wx'));
  }

  async write(text: string): Promise<void> {
    const bytes = Buffer.from(text, 'utf8');
    this.#hash.update(bytes);
    this.bytes += bytes.length;
    await this.fh.write(bytes);
  }

  /** Closed once, after the last write. */
  async close(): Promise<void> {
    this.#sha256 = this.#hash.digest('hex');
    await this.fh.close();
  }

  get sha256(): string {
    return this.#sha256!;
  }
}

/** 2024-01-01T00:00:00.000Z -> 20240101T000000Z (milliseconds kept when not zero). */
function stamp(ms: number): string {
  // Stryker disable next-line Regex: equivalent, an ISO time has `.000Z` only at its end
  const iso = new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
  return iso.replace(/[-:]/g, '');
}
