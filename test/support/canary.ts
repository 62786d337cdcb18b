/** A venue credential whose key, secret and passphrase are canaries (`<canary>-key`, …). */
export function canaryCredential(canary: string, venue = 'okx') {
  return {
    venue,
    label: 'canary',
    apiKey: `${canary}-key`,
    secret: `${canary}-secret`,
    passphrase: `${canary}-pass`,
  };
}
