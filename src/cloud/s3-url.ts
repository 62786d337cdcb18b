import { KairosError } from '../trading/core/errors.js';
import { checkKey } from './object-key.js';

/** A bucket and a key prefix (`''`: the bucket's root; otherwise without a trailing `/`). */
export interface S3Location {
  readonly bucket: string;
  readonly prefix: string;
}

const BUCKET = /^(?!\d+\.\d+\.\d+\.\d+$)(?!xn--)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Whether a path-or-URL names S3 (`s3://…`, any case): then `parseS3Url` reads it.
 *
 * @example
 * isS3Url('s3://audit/2024'); // true
 * isS3Url('./exports');       // false
 */
export function isS3Url(text: string): boolean {
  return /^s3:/i.test(text.trim());
}

/**
 * Reads `s3://bucket[/prefix]`: the bucket must follow S3's naming rules (3-63 lower-case
 * letters, digits, `.` and `-`), the prefix the object-key rules. Anything else is
 * `OBJECT_STORE_URL_INVALID`, naming what is wrong.
 *
 * @example
 * parseS3Url('s3://kairos-audit/exports/2024'); // { bucket: 'kairos-audit', prefix: 'exports/2024' }
 */
export function parseS3Url(text: string): S3Location {
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(text.trim());
  const bad = (why: string) =>
    new KairosError('OBJECT_STORE_URL_INVALID', `${JSON.stringify(text)}: ${why}`);
  if (!m) throw bad('must be s3://bucket or s3://bucket/prefix');
  const bucket = m[1]!;
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw bad(
      `bucket ${JSON.stringify(bucket)} is not a valid S3 bucket name (3-63 lower-case letters, digits, . and -)`,
    );
  }
  const prefix = (m[2] ?? '').replace(/\/+$/, '');
  if (prefix !== '') {
    try {
      checkKey(prefix);
    } catch {
      throw bad(`prefix ${JSON.stringify(prefix)} is not a safe key (letters, digits, ._-/)`);
    }
  }
  return { bucket, prefix };
}

/**
 * The URL of a location (and of a key under it).
 *
 * @example
 * s3Url({ bucket: 'b', prefix: 'p' }, 'x.json'); // 's3://b/p/x.json'
 */
export function s3Url(loc: S3Location, key?: string): string {
  return `s3://${[loc.bucket, loc.prefix, key].filter((s) => s).join('/')}`;
}
