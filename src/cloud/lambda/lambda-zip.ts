import { unzipSync, zipSync, type Zippable } from 'fflate';
import { KairosError } from '../../trading/core/errors.js';

/**
 * Every entry's time: 1980-01-01 00:00, the zip format's first, made from local fields because
 * the format stores local time (so the bytes do not depend on the machine's time zone).
 */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);
/** A regular file, rw-r--r-- (Lambda needs the files readable), made on Unix. */
const FILE_ATTRS = 0o100644 << 16;

/** Lambda's limit for a zip uploaded directly (CreateFunction / UpdateFunctionCode). */
export const MAX_DIRECT_ZIP_BYTES = 50 * 1024 * 1024;

/**
 * A zip of `files` whose bytes depend on nothing but the files: names sorted, one fixed time,
 * fixed attributes, deflate level 9.
 *
 * @example
 * const zip = deterministicZip({ 'index.mjs': code, 'kairos-manifest.json': manifest });
 */
export function deterministicZip(files: Readonly<Record<string, string | Uint8Array>>): Uint8Array {
  const entries: Zippable = {};
  const enc = new TextEncoder();
  for (const name of Object.keys(files).sort()) {
    const data = files[name]!;
    entries[name] = [
      typeof data === 'string' ? enc.encode(data) : data,
      { level: 9, mtime: FIXED_MTIME, os: 3, attrs: FILE_ATTRS },
    ];
  }
  return zipSync(entries);
}

/**
 * The files of a zip by name; a zip that cannot be read throws `LAMBDA_ZIP_INVALID`.
 *
 * @example
 * const { 'index.mjs': code } = readZip(bytes);
 */
export function readZip(bytes: Uint8Array): Record<string, Uint8Array> {
  try {
    return unzipSync(bytes);
  } catch (e) {
    throw new KairosError('LAMBDA_ZIP_INVALID', `zip: ${(e as Error).message}`, { cause: e });
  }
}
