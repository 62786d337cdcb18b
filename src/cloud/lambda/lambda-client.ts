import { LambdaClient } from '@aws-sdk/client-lambda';
import { isLocalEndpoint, LOCAL_CREDENTIALS } from '../local-endpoint.js';

/** Where Lambda is: a region, and an endpoint for a local or private one. */
export interface LambdaSettings {
  /** Absent: the SDK's chain (the profile's region); see `src/system/config.ts`. */
  readonly region: string | undefined;
  /** `AWS_ENDPOINT_URL_LAMBDA` (e.g. `kairos lambda serve`'s URL); undefined: AWS itself. */
  readonly endpoint: string | undefined;
}

/**
 * A Lambda client for these settings. Credentials come from the SDK's default chain
 * (environment, shared files, SSO, the instance or task role), never from Kairos's config; a
 * local endpoint (127.0.0.1, localhost) gets placeholders instead, since it checks no signature.
 *
 * @example
 * const client = lambdaClient({ region: 'eu-west-1', endpoint: undefined });
 */
export function lambdaClient(settings: LambdaSettings): LambdaClient {
  return new LambdaClient({
    ...(settings.region !== undefined ? { region: settings.region } : {}),
    ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
    // The node retries a step itself (docs/cloud.md): one attempt per call here.
    maxAttempts: 1,
    // A local endpoint checks no signature: it gets placeholders, never the real credentials.
    ...(isLocalEndpoint(settings.endpoint) ? { credentials: { ...LOCAL_CREDENTIALS } } : {}),
  });
}
