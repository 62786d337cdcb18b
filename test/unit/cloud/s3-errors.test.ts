import fc from 'fast-check';
import { s3Failure } from '../../../src/cloud/s3-errors.js';
import { KairosError } from '../../../src/trading/core/errors.js';

/** An S3 SDK error as the SDK throws it: a name, S3's message, the HTTP status. */
const sdkError = (name: string, status?: number, message = 'm') =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

const CODES = [
  'OBJECT_STORE_BUCKET_MISSING',
  'OBJECT_NOT_FOUND',
  'OBJECT_STORE_DENIED',
  'OBJECT_STORE_WRONG_REGION',
  'OBJECT_STORE_UNREACHABLE',
  'OBJECT_STORE_FAILED',
];

describe('s3Failure: S3 SDK failures as stable codes, one line naming the call and object', () => {
  it.each([
    // A bucket in another region: AWS redirects (301) or refuses the signing region (400).
    [
      sdkError('PermanentRedirect', 301),
      'OBJECT_STORE_WRONG_REGION',
      'the bucket is in another region (PermanentRedirect); set AWS_REGION',
    ],
    [
      sdkError('Unknown', 301),
      'OBJECT_STORE_WRONG_REGION',
      'the bucket is in another region (Unknown); set AWS_REGION',
    ],
    [
      sdkError(
        'AuthorizationHeaderMalformed',
        400,
        "the region 'us-east-1' is wrong; expecting 'eu-west-1'",
      ),
      'OBJECT_STORE_WRONG_REGION',
      'the bucket is in another region (AuthorizationHeaderMalformed); set AWS_REGION',
    ],
    [
      sdkError('NoSuchBucket', 404),
      'OBJECT_STORE_BUCKET_MISSING',
      'the bucket "b" does not exist (at this endpoint)',
    ],
    [sdkError('NoSuchKey', 404), 'OBJECT_NOT_FOUND', 'no such object'],
    [
      sdkError('AccessDenied', 403),
      'OBJECT_STORE_DENIED',
      'access denied (AccessDenied): check the credentials and the bucket policy',
    ],
    [
      sdkError('CredentialsProviderError'),
      'OBJECT_STORE_DENIED',
      'no AWS credentials found (environment, profile, SSO or role; see docs/cloud.md)',
    ],
    [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      'OBJECT_STORE_UNREACHABLE',
      'cannot reach the endpoint (ECONNREFUSED)',
    ],
    [
      sdkError('SlowDown', 503, 'Please reduce your request rate.'),
      'OBJECT_STORE_FAILED',
      'SlowDown (HTTP 503): Please reduce your request rate.',
    ],
  ])('%#: %o is %s', (e, code, text) => {
    const got = s3Failure(e, 'put', 's3://b/k');
    expect(got).toBeInstanceOf(KairosError);
    expect({ code: got.code, message: got.message, cause: got.cause }).toEqual({
      code,
      message: `put s3://b/k: ${text}`,
      cause: e,
    });
  });

  it('any failure gets one of its codes, names the call and object, and keeps a KairosError as it is', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }),
        fc.string().filter((m) => !m.includes('\n')),
        (name, status, message) => {
          const got = s3Failure(sdkError(name, status, message), 'get', 's3://b/k');
          expect(CODES).toContain(got.code);
          expect(got.message.startsWith('get s3://b/k: ')).toBe(true);
        },
      ),
    );
    const own = new KairosError('OBJECT_EXISTS', 'x');
    expect(s3Failure(own, 'put', 's3://b/k')).toBe(own);
  });
});
