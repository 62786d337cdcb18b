import { KairosError } from '../trading/core/errors.js';

const SAFE_KEY = /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._\-/]+$/;

/**
 * Checks an object key: relative, `/`-separated, letters, digits and `._-`, no `.` or `..`
 * segment, no empty segment at the start (`OBJECT_KEY_INVALID` naming the key). The same rule
 * for a folder and a bucket, so a key that works locally works on S3 and back.
 *
 * @example
 * checkKey('2024/audit.jsonl'); // ok
 * checkKey('../etc/passwd');    // throws OBJECT_KEY_INVALID
 */
export function checkKey(key: string): string {
  if (!SAFE_KEY.test(key) || key.startsWith('/') || key.endsWith('/') || key.includes('//')) {
    throw new KairosError('OBJECT_KEY_INVALID', `object key "${key}": not a safe relative name`);
  }
  return key;
}
