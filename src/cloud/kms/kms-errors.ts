import { KairosError } from '../../trading/core/errors.js';

const NETWORK = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ECONNRESET',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
const DENIED =
  /AccessDenied|UnrecognizedClient|InvalidSignature|IncompleteSignature|MissingAuthenticationToken|ExpiredToken|InvalidClientTokenId|CredentialsProvider/;

/**
 * An AWS SDK error of a KMS call as a `KairosError` with a stable code and one line naming the
 * call and the key (`what`): `KMS_KEY_NOT_FOUND`, `KMS_KEY_DISABLED`, `KMS_DENIED`,
 * `KMS_WRONG_REGION`, `KMS_THROTTLED`, `KMS_UNREACHABLE`, else `KMS_FAILED`. A ciphertext KMS
 * refuses for this key or encryption context (`InvalidCiphertextException`,
 * `IncorrectKeyException`) is not mapped here: the key provider reports it as
 * `ENCRYPTION_DECRYPT_FAILED`. The message never holds a credential or a plaintext.
 *
 * @example
 * try { await client.send(cmd); } catch (e) { throw kmsError(e, 'Encrypt with alias/kairos', 'eu-west-1'); }
 */
export function kmsError(e: unknown, what: string, region: string): KairosError {
  if (e instanceof KairosError) return e;
  const err = e as {
    name?: string;
    message?: string;
    code?: string;
    cause?: { code?: string };
    $metadata?: { httpStatusCode?: number };
  };
  const name = err?.name ?? 'Error';
  const status = err?.$metadata?.httpStatusCode;
  const message = (err?.message ?? String(e)).split('\n')[0] ?? '';
  const net =
    [err?.code, err?.cause?.code, name].find((c) => c !== undefined && NETWORK.has(c)) ??
    [...NETWORK].find((n) => message.includes(n));
  const say = (code: string, text: string) =>
    new KairosError(code, `kms: ${what}: ${text}`, { cause: e });
  if (name === 'NotFoundException') {
    return say(
      'KMS_KEY_NOT_FOUND',
      `no such key in ${region} (check KMS_KEY_ID and AWS_REGION, or the key ARN's region)`,
    );
  }
  if (name === 'DisabledException' || name === 'KMSInvalidStateException') {
    return say(
      'KMS_KEY_DISABLED',
      `the key is disabled or pending deletion (${name}); enable it (aws kms enable-key) or set KMS_KEY_ID to another key`,
    );
  }
  if (/scoped to a valid region|region.*(invalid|wrong)/i.test(message)) {
    return say(
      'KMS_WRONG_REGION',
      `the request was signed for the wrong region (${region}); set AWS_REGION`,
    );
  }
  if (DENIED.test(name) || status === 403) {
    const detail = name === 'CredentialsProviderError' ? 'no AWS credentials found' : name;
    return say(
      'KMS_DENIED',
      `access denied (${detail}): check the credentials of the default chain, the key policy and the IAM permissions (kms:Encrypt, kms:Decrypt, kms:DescribeKey; docs/encryption.md)`,
    );
  }
  if (name === 'ThrottlingException' || name === 'LimitExceededException' || status === 429) {
    return say('KMS_THROTTLED', `throttled (${name}); run again with a smaller --batch-size`);
  }
  if (net !== undefined || name === 'TimeoutError') {
    return say(
      'KMS_UNREACHABLE',
      `cannot reach KMS (${net ?? name}); is AWS_ENDPOINT_URL_KMS right and the endpoint up?`,
    );
  }
  const detail = message && message !== 'UnknownError' && message !== name ? `: ${message}` : '';
  return say('KMS_FAILED', `${name}${status ? ` (HTTP ${status})` : ''}${detail}`);
}
