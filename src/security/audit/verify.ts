import { createPublicKey, verify } from 'node:crypto';
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { KairosError } from '../../trading/core/errors.js';
import { openUnchanged } from '../open-unchanged.js';
import { GENESIS_HASH } from './chain.js';
import type { ExportObject, ExportSource } from './export-store.js';
import type { BreakKind, ChainBreak } from './first-break.js';
import { MANIFEST_FILE, signedBytes, type Manifest, type ManifestFile } from './manifest.js';
import { keyIdOf } from './manifest-signer.js';
import {
  MAX_FILE_BYTES,
  MAX_LINE_BYTES,
  scanFile,
  type FileScan,
  type RowSummary,
  type ScanRules,
} from './scan-file.js';

/** One thing wrong with an export. */
export interface VerifyProblem {
  readonly kind:
    'manifest' | 'signature' | 'file-missing' | 'file-hash' | 'file-changed' | 'format' | BreakKind;
  readonly file?: string;
  readonly seq?: number;
  readonly message: string;
}

/** The verdict on an export folder. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly manifest: Manifest | null;
  /** The id of the public key the signature was checked with. */
  readonly keyId: string;
  /** The earliest bad row over the data files, when a row is bad. */
  readonly firstBad: (ChainBreak & { readonly file: string }) | null;
  readonly problems: readonly VerifyProblem[];
}

const SAFE_NAME = /^[A-Za-z0-9._-]+$/;
/** An Ed25519 signature (64 bytes) in canonical base64: 88 characters, the last two `=`. */
const ED25519_BASE64 = /^[A-Za-z0-9+/]{85}[AQgw]==$/;
/** The largest manifest read, in bytes (1 MiB; an exporter's is a few kB). */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
export { MAX_FILE_BYTES, MAX_LINE_BYTES };

/**
 * Verifies an export folder offline with the signer's public key: the manifest signature, the
 * SHA-256 of every file it names, then the hash chain of the JSONL and of the CSV rows, each
 * naming the first bad `seq` and, when it can tell, whether that row was changed, deleted,
 * inserted or reordered. Needs nothing but the folder and the key. Reads both export versions
 * (`ExportVersion`): exports made before the wall time still verify. `source` is a folder, or
 * an `ExportSource` (a bucket): then each file is read at the version id the manifest records,
 * its size first and its bytes streamed as from a folder, a store's own checksum failure is
 * reported as a bad file, an object replaced after its size was read (`OBJECT_CHANGED`) as a
 * file that changed during verification (`file-changed`: verify again), and a store that cannot
 * answer (denied, no bucket) throws.
 *
 * @example
 * const report = await verifyExport('exports/2024-01', readFileSync('audit-signing.pub', 'utf8'));
 * if (!report.ok) console.log(report.firstBad?.seq, report.problems);
 */
export async function verifyExport(
  source: string | ExportSource,
  publicKeyPem: string,
): Promise<VerifyReport> {
  let publicKey;
  try {
    publicKey = createPublicKey(publicKeyPem);
  } catch (e) {
    throw new KairosError('KEY_FILE_INVALID', 'the public key is not a PEM public key', {
      cause: e,
    });
  }
  const keyId = keyIdOf(publicKeyPem);
  const problems: VerifyProblem[] = [];
  const fail = (p: VerifyProblem): VerifyReport => ({
    ok: false,
    manifest: null,
    keyId,
    firstBad: null,
    problems: [...problems, p],
  });

  const open = typeof source === 'string' ? folder(source) : fromSource(source);
  let text: string;
  try {
    const opened = await open(MANIFEST_FILE);
    if (opened === null) throw new Error('no such object');
    if (opened.size > MAX_MANIFEST_BYTES) {
      return fail({
        kind: 'manifest',
        file: MANIFEST_FILE,
        message: `${opened.size} bytes: larger than the ${MAX_MANIFEST_BYTES} bytes a manifest may hold (not read)`,
      });
    }
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of opened.chunks()) {
      size += chunk.byteLength;
      // A file that grew after its size was read.
      if (size > MAX_MANIFEST_BYTES) throw new Error(`more than ${MAX_MANIFEST_BYTES} bytes`);
      parts.push(Buffer.from(chunk));
    }
    text = Buffer.concat(parts).toString('utf8');
  } catch (e) {
    if (isChangedError(e)) {
      return fail({ kind: 'file-changed', file: MANIFEST_FILE, message: (e as Error).message });
    }
    // A store that cannot answer. (A folder's reads throw Node's own errors, never this.)
    if (!isChecksumError(e) && e instanceof KairosError) throw e;
    return fail({
      kind: 'manifest',
      file: MANIFEST_FILE,
      message: `cannot read: ${(e as Error).message}`,
    });
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch {
    return fail({ kind: 'manifest', file: MANIFEST_FILE, message: 'not JSON' });
  }
  const shapeError = checkShape(manifest);
  if (shapeError) return fail({ kind: 'manifest', file: MANIFEST_FILE, message: shapeError });

  const signed = unsignable(manifest);
  if (manifest.signature.keyId !== keyId) {
    problems.push({
      kind: 'signature',
      file: MANIFEST_FILE,
      message: `signed by key ${manifest.signature.keyId}, not by the given key ${keyId}`,
    });
  } else if (typeof signed === 'string') {
    problems.push({ kind: 'signature', file: MANIFEST_FILE, message: signed });
  } else if (!verify(null, signed, publicKey, Buffer.from(manifest.signature.value, 'base64'))) {
    problems.push({
      kind: 'signature',
      file: MANIFEST_FILE,
      message: 'the signature does not match the manifest (the manifest was changed or re-signed)',
    });
  }

  const rules = {
    version: manifest.version,
    expect: {
      firstSeq: manifest.firstSeq ?? 1,
      anchorHash: manifest.anchorHash ?? GENESIS_HASH,
      count: manifest.rowCount,
      lastHash: manifest.lastHash,
    },
    fromMs: manifest.fromMs,
    toMs: manifest.toMs,
  };
  // Each file is read once, as a stream (hash, rows and chain together); its problems come
  // first, then each data file's chain, in the manifest's order.
  const scans: (FileScan | undefined)[] = [];
  for (const f of manifest.files) {
    scans.push(await scanOne(open, f, rules, problems));
  }
  const breaks: (ChainBreak & { file: string })[] = [];
  for (const [i, f] of manifest.files.entries()) {
    const rows = scans[i]?.rows;
    if (!rows) continue;
    if (!rows.headerOk) {
      problems.push({
        kind: 'format',
        file: f.name,
        message: 'the header row is not the expected one',
      });
    }
    const broken = rows.broken;
    if (broken) {
      breaks.push({ ...broken, file: f.name });
      problems.push({ kind: broken.kind, file: f.name, seq: broken.seq, message: broken.detail });
    } else {
      problems.push(...rangeProblems(manifest, rows.summary, f.name));
    }
  }
  const firstBad = breaks.reduce<(ChainBreak & { file: string }) | null>(
    (best, b) => (best === null || b.seq < best.seq ? b : best),
    null,
  );
  return { ok: problems.length === 0, manifest, keyId, firstBad, problems };
}

/**
 * Reads one file the manifest names: pushes its problems (unreadable, missing, too large, hash)
 * and answers its scan when it was read through.
 */
async function scanOne(
  open: Open,
  f: ManifestFile,
  rules: ScanRules,
  problems: VerifyProblem[],
): Promise<FileScan | undefined> {
  const unreadable = (e: unknown) =>
    problems.push({
      kind: 'file-missing',
      file: f.name,
      message: `named in the manifest but cannot be read: ${(e as Error).message}`,
    });
  let opened: Opened | null;
  try {
    opened = await open(f.name, f.versionId);
  } catch (e) {
    if (isChecksumError(e)) {
      problems.push({ kind: 'file-hash', file: f.name, message: (e as Error).message });
      return undefined;
    }
    if (e instanceof KairosError) throw e; // a store that cannot answer: no verdict
    unreadable(e);
    return undefined;
  }
  if (opened === null) {
    problems.push({
      kind: 'file-missing',
      file: f.name,
      message: 'named in the manifest but missing',
    });
    return undefined;
  }
  let scan;
  try {
    scan =
      opened.size > MAX_FILE_BYTES
        ? { tooLarge: opened.size }
        : await scanFile(f.name, opened.chunks(), rules, opened.digest);
  } catch (e) {
    // A bucket checks its recorded checksum once the last byte streamed by.
    if (isChecksumError(e)) {
      problems.push({ kind: 'file-hash', file: f.name, message: (e as Error).message });
      return undefined;
    }
    // Replaced after its size was read: none of the new bytes were read.
    if (isChangedError(e)) {
      problems.push({ kind: 'file-changed', file: f.name, message: (e as Error).message });
      return undefined;
    }
    if (!(e instanceof ReadError)) throw e;
    unreadable(e);
    return undefined;
  }
  if ('tooLarge' in scan) {
    problems.push({
      kind: 'format',
      file: f.name,
      message: `${scan.tooLarge} bytes: larger than the ${MAX_FILE_BYTES} bytes the verifier reads (not read)`,
    });
    return undefined;
  }
  if (scan.sha256 !== f.sha256) {
    problems.push({
      kind: 'file-hash',
      file: f.name,
      message: `SHA-256 is ${scan.sha256}, the manifest says ${f.sha256}`,
    });
  }
  return scan;
}

/**
 * The bytes the signature covers, or why there are none: a manifest holding what canonical JSON
 * refuses (a number such as `1e999`, read as Infinity; nesting deeper than `MAX_JSON_DEPTH`) is
 * not one a signer wrote.
 */
function unsignable(m: Manifest): Buffer | string {
  try {
    return signedBytes(m);
  } catch (e) {
    if (!(e instanceof KairosError)) throw e;
    return `not a manifest a signer wrote: ${e.message}`;
  }
}

/** A file to read: its size (read first) and its bytes as a stream. */
type Opened = ExportObject;

/** Opens a file of the export, or answers null when it is absent. */
type Open = (name: string, versionId?: string) => Promise<Opened | null>;

/**
 * A folder's files, each streamed after its size is read (the version id means nothing there).
 * Only a regular file is read: a FIFO left in the folder (or a link to one, or to `/dev/zero`)
 * would block or never end.
 */
function folder(dir: string): Open {
  return async (name) => {
    const file = path.join(dir, name);
    let kind;
    try {
      kind = await stat(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    if (!kind.isFile()) throw new ReadError('not a regular file');
    return { size: kind.size, chunks: () => streamed(file, kind) };
  };
}

/** Why a file could not be read (not what it holds): the verdict names it as unreadable. */
class ReadError extends Error {}

/**
 * A file's bytes, 1 MiB at a time, if it is still the file `seen` sized (else `OBJECT_CHANGED`,
 * as from a bucket); a failing read (EACCES, EIO, EISDIR) as a `ReadError`.
 */
async function* streamed(file: string, seen: Stats): AsyncGenerator<Buffer> {
  let handle;
  try {
    handle = await openUnchanged(file, seen);
  } catch (e) {
    throw new ReadError((e as Error).message, { cause: e });
  }
  if (!handle) {
    throw new KairosError(
      'OBJECT_CHANGED',
      `${file}: the file changed after its size was read; nothing of the new one was read: verify again`,
    );
  }
  try {
    // The stream closes the handle when it ends or is destroyed.
    for await (const chunk of handle.createReadStream({ highWaterMark: 1024 * 1024 })) {
      yield chunk as Buffer;
    }
  } catch (e) {
    throw new ReadError((e as Error).message, { cause: e });
  }
}

/**
 * An `ExportSource` (a bucket): its sizes and streams as they are. An error while reading that
 * is not the store's (a `KairosError`) is a file that cannot be read.
 */
function fromSource(source: ExportSource): Open {
  return async (name, versionId) => {
    const opened = await source.open(name, versionId);
    return (
      opened && {
        size: opened.size,
        chunks: () => storeChunks(opened),
        ...(opened.digest ? { digest: () => opened.digest!() } : {}),
      }
    );
  };
}

async function* storeChunks(opened: Opened): AsyncGenerator<Uint8Array> {
  try {
    yield* opened.chunks();
  } catch (e) {
    if (e instanceof KairosError) throw e;
    throw new ReadError((e as Error).message, { cause: e });
  }
}

const isChecksumError = (e: unknown): boolean =>
  e instanceof KairosError && e.code === 'OBJECT_CHECKSUM_MISMATCH';
const isChangedError = (e: unknown): boolean =>
  e instanceof KairosError && e.code === 'OBJECT_CHANGED';

/**
 * With the chain intact: the rows must lie in the range (of wall time; of `ts` in a version 1
 * export) and match the manifest's summary.
 */
function rangeProblems(m: Manifest, rows: RowSummary, file: string): VerifyProblem[] {
  const out: VerifyProblem[] = [];
  // A version 1 export's range is of `ts`: its rows read with their wall time equal to it.
  const { first, last, outside } = rows;
  if (outside) {
    out.push({
      kind: 'format',
      file,
      seq: outside.seq,
      message: `seq ${outside.seq} lies outside ${m.from}…${m.to}`,
    });
  }
  if (
    (first?.hash ?? null) !== m.firstHash ||
    (first?.ts ?? null) !== m.firstTs ||
    (last?.seq ?? null) !== m.lastSeq ||
    (last?.ts ?? null) !== m.lastTs ||
    (m.version !== 1 &&
      ((first?.wallTs ?? null) !== m.firstWallTs || (last?.wallTs ?? null) !== m.lastWallTs))
  ) {
    out.push({
      kind: 'manifest',
      file,
      message: 'first/last seq, hash, time or wall time differ from the rows',
    });
  }
  return out;
}

function checkShape(m: Manifest): string | null {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return 'not an object';
  if (m.format !== 'kairos-audit-export' || (m.version !== 1 && m.version !== 2)) {
    return `format ${shown(m.format)}, version ${shown(m.version)}: not a kairos-audit-export v1 or v2`;
  }
  const ints = ['fromMs', 'toMs', 'rowCount'] as const;
  for (const k of ints) if (!Number.isSafeInteger(m[k])) return `${k}: must be an integer`;
  if (m.rowCount < 0) return 'rowCount: must not be negative';
  for (const k of ['from', 'to'] as const) {
    if (typeof m[k] !== 'string') return `${k}: must be a string`;
  }
  const nullableInts = ['firstSeq', 'lastSeq', 'firstTs', 'lastTs'] as const;
  const wallInts = m.version === 1 ? [] : (['firstWallTs', 'lastWallTs'] as const);
  for (const k of [...nullableInts, ...wallInts]) {
    if (m[k] !== null && !Number.isSafeInteger(m[k])) return `${k}: must be an integer or null`;
  }
  if (m.version !== 1 && m.rangeOf !== 'wall_ts') return 'rangeOf: must be "wall_ts"';
  for (const k of ['anchorHash', 'firstHash', 'lastHash'] as const) {
    if (m[k] !== null && typeof m[k] !== 'string') return `${k}: must be a string or null`;
  }
  if (m.rowCount > 0 && (m.firstSeq === null || m.anchorHash === null)) {
    return 'firstSeq and anchorHash: required when there are rows';
  }
  if (!Array.isArray(m.files)) return 'files: must be a list';
  for (const f of m.files) {
    if (typeof f?.name !== 'string' || !SAFE_NAME.test(f.name))
      return `files: bad name ${shown(f?.name)}`;
    if (typeof f.sha256 !== 'string') return `files: ${f.name} has no sha256`;
    if (f.versionId !== undefined && typeof f.versionId !== 'string')
      return `files: ${f.name} has a versionId that is not a string`;
  }
  const data = m.files.filter((f) => f.name.endsWith('.jsonl') || f.name.endsWith('.csv'));
  if (data.length === 0) return 'files: names no .jsonl or .csv file';
  const s = m.signature;
  if (typeof s !== 'object' || s === null || s.algorithm !== 'Ed25519') {
    return 'signature: must be an Ed25519 signature';
  }
  if (typeof s.keyId !== 'string' || typeof s.value !== 'string')
    return 'signature: keyId and value required';
  // Base64 is decoded leniently (other characters skipped): only the one text of the bytes.
  if (!ED25519_BASE64.test(s.value)) return 'signature: value must be 64 bytes in base64';
  return null;
}

/**
 * A value of parsed JSON as text for a message: a string quoted, a list or object by its kind
 * only (`String` throws on `{"toString": 1}`; `JSON.stringify` on a list nested 10,000 deep).
 */
function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v !== 'object' || v === null) return String(v);
  return Array.isArray(v) ? 'a list' : 'an object';
}
