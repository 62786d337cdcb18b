/**
 * Whether an endpoint is a server on this machine (`kairos lambda serve`, the test servers).
 * Such an endpoint checks no signature, so its clients get placeholder credentials and the real
 * ones from the SDK's chain are never sent there.
 *
 * @example
 * isLocalEndpoint('http://127.0.0.1:3002'); // true
 */
export function isLocalEndpoint(endpoint: string | undefined): boolean {
  return endpoint !== undefined && /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(endpoint);
}

/** The credentials a local endpoint gets. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
