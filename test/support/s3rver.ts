import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import type { S3Settings } from '../../src/cloud/s3-settings.js';

/** A running s3rver (in this process, port 0, a temp folder) and how to reach it. */
export interface LocalS3 {
  readonly endpoint: string;
  /** Where s3rver keeps its objects (`<dir>/<bucket>/<key>._S3rver_object`). */
  readonly dir: string;
  /** Client settings with the only credentials s3rver accepts. */
  readonly settings: S3Settings;
  /** The environment a `kairos` child process needs to reach it (credentials: the SDK's chain). */
  readonly env: Record<string, string>;
  /** The file s3rver stores an object's bytes in. */
  objectFile(bucket: string, key: string): string;
  close(): Promise<void>;
}

/**
 * Starts s3rver with the given buckets. s3rver accepts only the credentials S3RVER/S3RVER, and
 * needs `requestChecksumCalculation: 'WHEN_REQUIRED'` (set by `s3Client`); it has no Object Lock.
 */
export async function startS3(buckets: readonly string[]): Promise<LocalS3> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kairos-s3-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: dir,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    dir,
    settings: {
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    },
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    },
    objectFile: (bucket, key) => path.join(dir, bucket, `${key}._S3rver_object`),
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
