import { kmsError } from '../../../src/cloud/kms/kms-errors.js';
import { KairosError } from '../../../src/trading/core/errors.js';

/** An SDK-shaped error: a name, a message and the HTTP status KMS answered. */
function sdk(name: string, message = '', status = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

describe('kmsError: SDK failures as stable codes, one line', () => {
  it.each([
    [
      sdk('NotFoundException', "Key 'x' does not exist"),
      'KMS_KEY_NOT_FOUND',
      /no such key in eu-west-1/,
    ],
    [sdk('DisabledException', 'arn is disabled.'), 'KMS_KEY_DISABLED', /enable it/],
    [sdk('KMSInvalidStateException', 'pending deletion'), 'KMS_KEY_DISABLED', /pending deletion/],
    [
      sdk('AccessDeniedException', 'User: … is not authorized'),
      'KMS_DENIED',
      /kms:Encrypt, kms:Decrypt/,
    ],
    [
      sdk('UnrecognizedClientException', 'The security token is invalid', 400),
      'KMS_DENIED',
      /access denied/,
    ],
    [
      sdk('CredentialsProviderError', 'Could not load credentials from any providers', 0),
      'KMS_DENIED',
      /no AWS credentials found/,
    ],
    [
      sdk(
        'InvalidSignatureException',
        "Credential should be scoped to a valid region, not 'eu-west-1'. ",
      ),
      'KMS_WRONG_REGION',
      /wrong region \(eu-west-1\); set AWS_REGION/,
    ],
    [sdk('ThrottlingException', 'Rate exceeded'), 'KMS_THROTTLED', /--batch-size/],
    [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      'KMS_UNREACHABLE',
      /ECONNREFUSED/,
    ],
    [sdk('TimeoutError', 'socket hung up', 0), 'KMS_UNREACHABLE', /cannot reach KMS/],
    [
      sdk('KMSInternalException', 'boom\nsecond line', 500),
      'KMS_FAILED',
      /KMSInternalException \(HTTP 500\): boom$/,
    ],
  ])('%s -> %s', (e, code, text) => {
    const k = kmsError(e, 'Encrypt with alias/kairos', 'eu-west-1');
    expect(k).toMatchObject({ code, message: expect.stringMatching(text) });
    expect(k.message).toMatch(/^kms: Encrypt with alias\/kairos: /);
    expect(k.message).not.toContain('\n');
    expect(k.cause).toBe(e);
  });

  it('keeps a KairosError as it is', () => {
    const e = new KairosError('ENCRYPTION_DECRYPT_FAILED', 'x');
    expect(kmsError(e, 'Decrypt', 'us-east-1')).toBe(e);
  });
});
