import { S3Client } from '@aws-sdk/client-s3';

/**
 * How to reach S3: from the typed config (`src/system/config.ts`: `AWS_ENDPOINT_URL_S3`, else
 * `AWS_ENDPOINT_URL`; `AWS_REGION`; `S3_FORCE_PATH_STYLE`). Credentials are not here: they come
 * from the SDK's default chain (environment, profile, SSO, container or instance role), and
 * Kairos never reads, logs or stores them. `credentials` is for tests against a local server.
 */
export interface S3Settings {
  /** Another endpoint (an S3-compatible server, a VPC endpoint); absent: AWS's own. */
  readonly endpoint?: string;
  /** Absent: the SDK's chain (the profile's region); us-east-1 with a custom `endpoint`. */
  readonly region?: string;
  /** Path-style URLs (`endpoint/bucket/key`), which local servers need. */
  readonly forcePathStyle?: boolean;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * The S3 client for the settings. Checksums are computed only when an operation requires them
 * (`WHEN_REQUIRED`): the SDK's default sends streamed bodies `aws-chunked` with a trailing CRC32,
 * which S3-compatible servers such as s3rver store verbatim (silent corruption). Kairos records
 * and checks its own SHA-256 instead, and sends `x-amz-checksum-sha256` itself where S3 needs one.
 *
 * @example
 * const client = s3Client({ endpoint: 'http://127.0.0.1:4569', forcePathStyle: true });
 */
export function s3Client(settings: S3Settings): S3Client {
  return new S3Client({
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.region || settings.endpoint ? { region: settings.region ?? 'us-east-1' } : {}),
    forcePathStyle: settings.forcePathStyle ?? false,
    ...(settings.credentials ? { credentials: { ...settings.credentials } } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
