import { loadConfig, maskedConfig } from '../../../src/system/config.js';

describe('KMS settings (KMS_KEY_ID, AWS_ENDPOINT_URL_KMS)', () => {
  it('absent: local keys; the region and endpoint follow the AWS settings', () => {
    expect(loadConfig({}).kms).toEqual({
      keyId: undefined,
      region: 'us-east-1',
      endpoint: undefined,
    });
    expect(
      loadConfig({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }).kms,
    ).toEqual({ keyId: undefined, region: 'eu-west-1', endpoint: 'http://127.0.0.1:4566' });
    expect(
      loadConfig({
        AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
        AWS_ENDPOINT_URL_KMS: 'https://kms-fips.eu-west-1.amazonaws.com',
      }).kms.endpoint,
    ).toBe('https://kms-fips.eu-west-1.amazonaws.com');
  });

  it.each([
    '1234abcd-12ab-34cd-56ef-1234567890ab',
    'mrk-1234abcd12ab34cd56ef1234567890ab',
    'alias/kairos',
    'alias/prod/kairos-fields',
    'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    'arn:aws-us-gov:kms:us-gov-west-1:111122223333:alias/kairos',
  ])('accepts %s', (id) => {
    const config = loadConfig({ KMS_KEY_ID: id });
    expect(config.kms.keyId).toBe(id);
    expect(maskedConfig(config)).toMatchObject({ kmsKeyId: id, kmsEndpoint: null });
  });

  it.each([{}, { KMS_KEY_ID: 'alias/kairos' }])(
    'refuses KAIROS_KMS_KEY_ID (the name is KMS_KEY_ID) rather than run on local keys: %j',
    (env) => {
      expect(() => loadConfig({ ...env, KAIROS_KMS_KEY_ID: 'alias/kairos' })).toThrow(
        expect.objectContaining({
          code: 'CONFIG_INVALID',
          message:
            'KAIROS_KMS_KEY_ID: not a setting: the KMS key is KMS_KEY_ID (docs/configuration.md); unset KAIROS_KMS_KEY_ID',
        }),
      );
    },
  );

  it.each(['kairos', 'alias/', 'key/1234', 'arn:aws:kms:eu-west-1:1:key/x', 'alias/a b'])(
    'refuses %j naming the setting and the rule',
    (id) => {
      expect(() => loadConfig({ KMS_KEY_ID: id })).toThrow(
        expect.objectContaining({
          code: 'CONFIG_INVALID',
          message: `KMS_KEY_ID: must be a KMS key id, key ARN, alias name (alias/…) or alias ARN, was "${id}"`,
        }),
      );
    },
  );

  it('refuses an endpoint that is not an http(s) URL', () => {
    expect(() => loadConfig({ AWS_ENDPOINT_URL_KMS: 'kms.local' })).toThrow(
      'AWS_ENDPOINT_URL_KMS: must be an http:// or https:// URL, was "kms.local"',
    );
  });
});
