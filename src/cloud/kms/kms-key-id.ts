const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const KEY = `(?:${UUID}|mrk-[0-9a-f]{32})`;
const ALIAS = 'alias/[A-Za-z0-9/_-]{1,250}';
const PARTITION = 'arn:aws(?:-[a-z]+)*:kms:[a-z]{2}(?:-[a-z]+)+-\\d+:\\d{12}';
const KEY_ARN = new RegExp(`^${PARTITION}:key/${KEY}$`);
const ANY = new RegExp(`^(?:${KEY}|${ALIAS}|${PARTITION}:(?:key/${KEY}|${ALIAS}))$`);

/** The rule `KMS_KEY_ID` must follow, as `docs/configuration.md` says it. */
export const KMS_KEY_ID_RULE = 'a KMS key id, key ARN, alias name (alias/…) or alias ARN';

/**
 * True for what AWS KMS accepts as a `KeyId` of a symmetric key: a key id (a UUID or a
 * multi-Region `mrk-…` id), a key ARN, an alias name (`alias/…`) or an alias ARN.
 *
 * @example
 * isKmsKeyId('alias/kairos'); // true
 */
export function isKmsKeyId(value: string): boolean {
  return ANY.test(value);
}

/**
 * True for a key ARN (`arn:aws:kms:<region>:<account>:key/<id>`): the id a KMS-wrapped field
 * names in its envelope, so a stored value says which KMS key (and region) unwraps it.
 *
 * @example
 * isKmsKeyArn('arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'); // true
 */
export function isKmsKeyArn(value: string): boolean {
  return KEY_ARN.test(value);
}

/** The region of a key or alias ARN; undefined for a bare key id or alias name. */
export function kmsRegionOf(keyId: string): string | undefined {
  return keyId.startsWith('arn:') ? keyId.split(':')[3] : undefined;
}
