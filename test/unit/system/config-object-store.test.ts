import { loadConfig, maskedConfig } from '../../../src/system/config.js';

describe('the object store settings', () => {
  it('default to no bucket, AWS endpoints and virtual-hosted URLs', () => {
    expect(loadConfig({}).objectStore).toEqual({
      bucket: undefined,
      endpoint: undefined,
      region: undefined,
      forcePathStyle: false,
    });
  });

  it('read the bucket (a name or an s3:// URL), the S3 endpoint before the general one, the region', () => {
    const c = loadConfig({
      S3_BUCKET: 'kairos-prod',
      AWS_ENDPOINT_URL: 'https://general.example.com',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569',
      AWS_REGION: 'eu-west-1',
    });
    expect(c.objectStore).toEqual({
      bucket: 's3://kairos-prod',
      endpoint: 'http://127.0.0.1:4569',
      region: 'eu-west-1',
      forcePathStyle: true,
    });
    expect(loadConfig({ S3_BUCKET: 's3://kairos-prod/a/b/' }).objectStore.bucket).toBe(
      's3://kairos-prod/a/b',
    );
    expect(loadConfig({ AWS_ENDPOINT_URL: 'https://s3.example.com' }).objectStore).toMatchObject({
      endpoint: 'https://s3.example.com',
      forcePathStyle: true,
    });
    expect(
      loadConfig({ AWS_ENDPOINT_URL_S3: 'https://vpce.example.com', S3_FORCE_PATH_STYLE: '0' })
        .objectStore.forcePathStyle,
    ).toBe(false);
    expect(
      maskedConfig(loadConfig({ AWS_ENDPOINT_URL_S3: 'https://u:secret@minio.example.com' })),
    ).toMatchObject({ s3Endpoint: 'https://u:***@minio.example.com', s3Bucket: null });
  });

  it.each([
    [
      'S3_BUCKET',
      'Bad_Bucket',
      /^S3_BUCKET: "s3:\/\/Bad_Bucket": bucket "Bad_Bucket" is not a valid/,
    ],
    ['S3_BUCKET', 's3://ok-bucket/../x', /^S3_BUCKET: .*prefix "..\/x" is not a safe key/],
    [
      'AWS_ENDPOINT_URL_S3',
      'localhost:4569',
      /^AWS_ENDPOINT_URL_S3: must be an http:\/\/ or https:\/\/ URL/,
    ],
    ['AWS_ENDPOINT_URL', 'ftp://x', /^AWS_ENDPOINT_URL: must be an http:\/\/ or https:\/\/ URL/],
    ['AWS_REGION', 'Europe', /^AWS_REGION: must be a region such as eu-west-1, was "Europe"/],
    ['S3_FORCE_PATH_STYLE', 'yes', /^S3_FORCE_PATH_STYLE: must be 0 or 1, was "yes"/],
  ])('refuse a bad %s naming it', (variable, value, message) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(message) }),
    );
  });
});
