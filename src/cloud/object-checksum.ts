import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { KairosError } from '../trading/core/errors.js';
import type { ObjectBody } from './object-store.js';

/**
 * SHA-256 (hex) of bytes, or of a file read as a stream.
 *
 * @example
 * await sha256Of(new TextEncoder().encode('hi')); // '8f434346…'
 */
export async function sha256Of(body: ObjectBody): Promise<string> {
  const hash = createHash('sha256');
  if (body instanceof Uint8Array) return hash.update(body).digest('hex');
  for await (const chunk of createReadStream(body.file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Checks bytes read from `where` against the checksums recorded on write and expected by the
 * caller (either may be absent); `OBJECT_CHECKSUM_MISMATCH` names the object and both values.
 *
 * @example
 * checkChecksum('s3://b/p/x.json', bytes, { recorded: meta.sha256, expected: manifestSha });
 */
export function checkChecksum(
  where: string,
  bytes: Uint8Array,
  sums: { readonly recorded?: string | null; readonly expected?: string },
): string {
  return checkDigest(where, createHash('sha256').update(bytes).digest('hex'), sums);
}

/**
 * `checkChecksum` for a digest computed as the bytes streamed by.
 *
 * @example
 * checkDigest('s3://b/p/x.json', hash.digest('hex'), { recorded: meta.sha256 });
 */
export function checkDigest(
  where: string,
  actual: string,
  sums: { readonly recorded?: string | null; readonly expected?: string },
): string {
  for (const [what, want] of [
    ['recorded on write', sums.recorded],
    ['expected', sums.expected],
  ] as const) {
    if (want && want !== actual) {
      throw new KairosError(
        'OBJECT_CHECKSUM_MISMATCH',
        `${where}: SHA-256 is ${actual}, ${what} ${want}; the stored object is corrupted or was changed`,
      );
    }
  }
  return actual;
}
