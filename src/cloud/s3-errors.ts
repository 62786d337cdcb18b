import { KairosError } from '../trading/core/errors.js';

const DENIED = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
  'CredentialsProviderError',
]);
const WRONG_REGION = new Set([
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'IllegalLocationConstraintException',
]);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT']);

/**
 * An S3 SDK failure as one `KairosError` with a stable code, naming the action and the object:
 * `OBJECT_STORE_BUCKET_MISSING`, `OBJECT_STORE_DENIED` (refused or absent credentials; the
 * message never holds one), `OBJECT_STORE_WRONG_REGION`, `OBJECT_STORE_UNREACHABLE`,
 * `OBJECT_NOT_FOUND`, else `OBJECT_STORE_FAILED`. The SDK error is kept as `cause`.
 *
 * @example
 * try { await client.send(cmd); } catch (e) { throw s3Failure(e, 'put', 's3://b/k'); }
 */
export function s3Failure(e: unknown, action: string, where: string): KairosError {
  if (e instanceof KairosError) return e;
  const err = e as {
    name?: string;
    Code?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const name = err.Code ?? err.name ?? '';
  const status = err.$metadata?.httpStatusCode;
  // A network error's code, also when the SDK wrapped an error from another realm (message only).
  const netCode =
    err.code ??
    (err as { cause?: { code?: string } }).cause?.code ??
    /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT)\b/.exec(err.message ?? '')?.[1] ??
    '';
  const say = (code: string, text: string) =>
    new KairosError(code, `${action} ${where}: ${text}`, { cause: e });
  if (name === 'NoSuchBucket') {
    const bucket = /^s3:\/\/([^/]+)/.exec(where)?.[1];
    return say(
      'OBJECT_STORE_BUCKET_MISSING',
      `the bucket ${bucket ? `"${bucket}" ` : ''}does not exist (at this endpoint)`,
    );
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchVersion') {
    return say('OBJECT_NOT_FOUND', 'no such object');
  }
  if (name === 'CredentialsProviderError') {
    return say(
      'OBJECT_STORE_DENIED',
      'no AWS credentials found (environment, profile, SSO or role; see docs/cloud.md)',
    );
  }
  if (DENIED.has(name) || status === 403) {
    return say(
      'OBJECT_STORE_DENIED',
      `access denied (${name || status}): check the credentials and the bucket policy`,
    );
  }
  if (WRONG_REGION.has(name) || status === 301) {
    return say(
      'OBJECT_STORE_WRONG_REGION',
      `the bucket is in another region (${name || status}); set AWS_REGION`,
    );
  }
  if (UNREACHABLE.has(netCode) || UNREACHABLE.has(name)) {
    return say('OBJECT_STORE_UNREACHABLE', `cannot reach the endpoint (${netCode || name})`);
  }
  const detail = err.message && err.message !== 'UnknownError' ? `: ${err.message}` : '';
  return say(
    'OBJECT_STORE_FAILED',
    `${name || 'error'}${status ? ` (HTTP ${status})` : ''}${detail}`,
  );
}
