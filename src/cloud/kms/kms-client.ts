import { KMSClient } from '@aws-sdk/client-kms';
import { isLocalEndpoint, LOCAL_CREDENTIALS } from '../local-endpoint.js';

/** Where KMS is: a region, and an endpoint for a local or private one. */
export interface KmsSettings {
  /** `AWS_REGION` (us-east-1 when unset); a key ARN's own region wins for that key. */
  readonly region: string;
  /** `AWS_ENDPOINT_URL_KMS`, else `AWS_ENDPOINT_URL`; undefined: AWS KMS of the region. */
  readonly endpoint: string | undefined;
}

/**
 * A KMS client for a region and endpoint. Credentials come from the SDK's default chain
 * (environment, shared files, SSO, the instance or task role), never from Kairos's config; a
 * local endpoint (127.0.0.1, localhost) gets placeholders instead, since it checks no signature.
 *
 * @example
 * const client = kmsClient({ region: 'eu-west-1', endpoint: undefined });
 */
export function kmsClient(settings: KmsSettings): KMSClient {
  return new KMSClient({
    region: settings.region,
    ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
    // Adaptive retries: a rotation sends a batch of calls at once, and throttling slows the
    // client down instead of failing it. An endpoint that is down still fails within a second.
    retryMode: 'adaptive',
    maxAttempts: 3,
    ...(isLocalEndpoint(settings.endpoint) ? { credentials: { ...LOCAL_CREDENTIALS } } : {}),
  });
}
