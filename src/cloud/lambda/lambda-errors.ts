import { KairosError } from '../../trading/core/errors.js';

const NETWORK = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ECONNRESET',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/**
 * An AWS SDK error of a Lambda call as a `KairosError` with a stable code and one clear line
 * naming what was asked (`what`): `LAMBDA_WRONG_REGION`, `LAMBDA_NOT_FOUND`, `LAMBDA_DENIED`,
 * `LAMBDA_THROTTLED`,
 * `LAMBDA_PAYLOAD_TOO_LARGE`, `LAMBDA_CONFLICT`, `LAMBDA_UNREACHABLE`, else `LAMBDA_REQUEST`.
 * The message never holds a credential (the SDK's errors do not; only name and message are kept).
 *
 * @example
 * try { await client.send(cmd); } catch (e) { throw lambdaError(e, 'function sma'); }
 */
export function lambdaError(e: unknown, what: string): KairosError {
  if (e instanceof KairosError) return e;
  const err = e as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const name = err?.name ?? 'Error';
  const status = err?.$metadata?.httpStatusCode;
  const message = ((err?.message ?? String(e)).split('\n')[0] ?? '').trim();
  const code = /scoped to a valid region/i.test(message)
    ? 'LAMBDA_WRONG_REGION'
    : name === 'ResourceNotFoundException'
      ? 'LAMBDA_NOT_FOUND'
      : name === 'TooManyRequestsException' || status === 429
        ? 'LAMBDA_THROTTLED'
        : /AccessDenied|UnrecognizedClient|InvalidSignature|ExpiredToken|CredentialsProvider/.test(
              name,
            ) || status === 403
          ? 'LAMBDA_DENIED'
          : name === 'RequestTooLargeException' ||
              name === 'RequestEntityTooLargeException' ||
              status === 413
            ? 'LAMBDA_PAYLOAD_TOO_LARGE'
            : name === 'ResourceConflictException' || name === 'PreconditionFailedException'
              ? 'LAMBDA_CONFLICT'
              : NETWORK.has(err?.code ?? '') ||
                  NETWORK.has(name) ||
                  name === 'TimeoutError' ||
                  [...NETWORK].some((n) => message?.includes(n))
                ? 'LAMBDA_UNREACHABLE'
                : 'LAMBDA_REQUEST';
  const hint =
    code === 'LAMBDA_WRONG_REGION'
      ? " (set AWS_REGION to the region of the function's endpoint)"
      : code === 'LAMBDA_UNREACHABLE'
        ? ' (is AWS_ENDPOINT_URL_LAMBDA right, is `kairos lambda serve` running?)'
        : code === 'LAMBDA_DENIED'
          ? ' (check the credentials of the default chain and their IAM permissions, and AWS_REGION)'
          : '';
  return new KairosError(code, `lambda: ${what}: ${name}: ${message}${hint}`, { cause: e });
}
