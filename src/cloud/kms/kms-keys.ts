import type { KMSClient } from '@aws-sdk/client-kms';
import { KairosError } from '../../trading/core/errors.js';
import type { KmsSettings } from './kms-client.js';
import { kmsError } from './kms-errors.js';
import { isKmsKeyArn, isKmsKeyId, KMS_KEY_ID_RULE, kmsRegionOf } from './kms-key-id.js';
import { KmsKeyProvider, kmsSdk } from './kms-key-provider.js';

/**
 * The KMS keys of field encryption, one client per region: `open` the configured key (checked
 * with `DescribeKey`), and `forArn` the key a stored value names (a value moved off KMS, or
 * onto another KMS key, still unwraps until `kairos keys rotate` has moved it). The AWS SDK's
 * KMS client loads at the first call to KMS, not when the keys are made (every command that
 * opens the field cipher makes them; most never call KMS).
 *
 * @example
 * const kms = new KmsKeys({ region: 'eu-west-1', endpoint: undefined });
 * const current = await kms.open('alias/kairos'); // keyId: arn:aws:kms:eu-west-1:…:key/…
 * kms.destroy();
 */
export class KmsKeys {
  readonly #clients = new Map<string, Promise<KMSClient>>();
  readonly #providers = new Map<string, KmsKeyProvider>();

  constructor(private readonly settings: KmsSettings) {}

  /**
   * The provider of a configured key (key id, key ARN, alias name or alias ARN): `DescribeKey`
   * gives its ARN and state. Refuses a key that does not exist (`KMS_KEY_NOT_FOUND`), is
   * disabled or pending deletion (`KMS_KEY_DISABLED`), or is not a symmetric encryption key
   * (`KMS_KEY_UNSUITABLE`).
   */
  async open(configured: string): Promise<KmsKeyProvider> {
    if (!isKmsKeyId(configured)) {
      throw new KairosError(
        'CONFIG_INVALID',
        `KMS_KEY_ID: must be ${KMS_KEY_ID_RULE}, was "${configured}"`,
      );
    }
    const region = kmsRegionOf(configured) ?? this.settings.region;
    let meta;
    try {
      const [client, { DescribeKeyCommand }] = await Promise.all([this.#client(region), kmsSdk()]);
      meta = (await client.send(new DescribeKeyCommand({ KeyId: configured }))).KeyMetadata;
    } catch (e) {
      throw kmsError(e, `DescribeKey ${configured}`, region);
    }
    if (!meta?.Arn || !isKmsKeyArn(meta.Arn)) {
      throw new KairosError(
        'KMS_FAILED',
        `kms: DescribeKey ${configured}: no key ARN in the answer`,
      );
    }
    if (meta.KeyState !== undefined && meta.KeyState !== 'Enabled') {
      throw new KairosError(
        'KMS_KEY_DISABLED',
        `kms: ${configured} (${meta.Arn}) is ${meta.KeyState}; enable it (aws kms enable-key) or set KMS_KEY_ID to another key`,
      );
    }
    if (
      (meta.KeyUsage !== undefined && meta.KeyUsage !== 'ENCRYPT_DECRYPT') ||
      (meta.KeySpec !== undefined && meta.KeySpec !== 'SYMMETRIC_DEFAULT')
    ) {
      throw new KairosError(
        'KMS_KEY_UNSUITABLE',
        `kms: ${configured} is a ${meta.KeySpec} ${meta.KeyUsage} key; field encryption needs a symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)`,
      );
    }
    return this.forArn(meta.Arn);
  }

  /** The provider of a key ARN, without a call (the first `unwrap` finds out whether it works). */
  forArn(arn: string): KmsKeyProvider {
    if (!isKmsKeyArn(arn))
      throw new KairosError('ENCRYPTION_FORMAT', `"${arn}" is not a KMS key ARN`);
    let p = this.#providers.get(arn);
    if (!p) {
      const region = kmsRegionOf(arn) ?? this.settings.region;
      p = new KmsKeyProvider(() => this.#client(region), arn, region);
      this.#providers.set(arn, p);
    }
    return p;
  }

  /** Closes the clients' connections. */
  destroy(): void {
    for (const c of this.#clients.values()) void c.then((client) => client.destroy());
    this.#clients.clear();
    this.#providers.clear();
  }

  #client(region: string): Promise<KMSClient> {
    let c = this.#clients.get(region);
    if (!c) {
      c = import('./kms-client.js').then((m) => m.kmsClient({ ...this.settings, region }));
      this.#clients.set(region, c);
    }
    return c;
  }
}
