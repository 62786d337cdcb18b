import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ObjectStore } from '../../../src/cloud/object-store.js';
import { S3ObjectStore } from '../../../src/cloud/s3-object-store.js';
import { LocalSigner } from '../../../src/security/audit/local-signer.js';
import { runCliAsync } from '../../support/run-cli.js';
import { startS3, type LocalS3 } from '../../support/s3rver.js';

// `kairos audit verify s3://…` when the bucket cannot answer, against a real S3-compatible
// server (s3rver). A wrong bucket, denied credentials or an endpoint that does not answer is one
// clear error naming the bucket and the cause, from every call of the store, never "missing
// files".

const BUCKET = 'audit';
const text = (s: string) => new TextEncoder().encode(s);

describe('verifying from a bucket that cannot answer', () => {
  let s3: LocalS3;
  let root: string;

  beforeAll(async () => {
    s3 = await startS3([BUCKET]);
    root = await mkdtemp(path.join(os.tmpdir(), 'kairos-verify-fail-'));
    // The public key `kairos audit verify` reads by default ($KAIROS_HOME/keys).
    await LocalSigner.open(path.join(root, 'keys'));
  });
  afterAll(async () => {
    await s3?.close();
    await rm(root, { recursive: true, force: true });
  });

  describe('every call of the store names the bucket and the cause', () => {
    /** Each call of the port, answering what it answered or the error's code and message. */
    const calls: [string, (s: ObjectStore) => Promise<unknown>][] = [
      ['head', (s) => s.head('a.txt')],
      ['get', (s) => s.get('a.txt')],
      ['stream', (s) => s.stream('a.txt')],
      ['list', (s) => s.list()],
      ['put', (s) => s.put('a.txt', text('a'))],
      ['objectLock', (s) => s.objectLock()],
    ];
    const outcome = (p: Promise<unknown>) =>
      p.then(
        (v) => ({ answered: v }),
        (e: Error & { code?: string }) => ({ code: e.code, message: e.message }),
      );

    it('a bucket that does not exist: OBJECT_STORE_BUCKET_MISSING, never an absent object', async () => {
      const store = S3ObjectStore.open('s3://no-such-bucket/x', s3.settings);
      const got = [];
      for (const [name, call] of calls) got.push([name, await outcome(call(store))]);
      const missing = (action: string, key = '/a.txt') => ({
        code: 'OBJECT_STORE_BUCKET_MISSING',
        message: `${action} s3://no-such-bucket/x${key}: the bucket "no-such-bucket" does not exist (at this endpoint)`,
      });
      expect(got).toEqual([
        ['head', missing('head')],
        ['get', missing('get')],
        ['stream', missing('head')],
        ['list', missing('list', '')],
        ['put', missing('put')],
        [
          'objectLock',
          {
            code: 'OBJECT_STORE_BUCKET_MISSING',
            message:
              'read the Object Lock configuration of s3://no-such-bucket: the bucket "no-such-bucket" does not exist (at this endpoint)',
          },
        ],
      ]);
      // In a bucket that exists, an absent key is still an absent object.
      const there = S3ObjectStore.open(`s3://${BUCKET}/x`, s3.settings);
      expect(await there.head('a.txt')).toBeNull();
      expect(await there.stream('a.txt')).toBeNull();
    });

    it('denied credentials and an endpoint that does not answer: their own codes, from every call', async () => {
      const denied = S3ObjectStore.open(`s3://${BUCKET}/x`, {
        ...s3.settings,
        credentials: { accessKeyId: 'NOT-S3RVER', secretAccessKey: 'canary-secret-9' },
      });
      const down = S3ObjectStore.open(`s3://${BUCKET}/x`, {
        ...s3.settings,
        endpoint: 'http://127.0.0.1:1',
      });
      for (const [name, call] of calls) {
        const d = await outcome(call(denied));
        expect([name, d]).toEqual([
          name,
          { code: 'OBJECT_STORE_DENIED', message: expect.stringMatching(/: access denied \(/) },
        ]);
        expect(JSON.stringify(d)).not.toMatch(/canary-secret-9|NOT-S3RVER/);
        expect([name, await outcome(call(down))]).toEqual([
          name,
          {
            code: 'OBJECT_STORE_UNREACHABLE',
            message: expect.stringMatching(/cannot reach the endpoint \(ECONNREFUSED\)$/),
          },
        ]);
      }
    });

    it('kairos audit verify: one line naming the bucket and the cause, exit 2, no verdict', async () => {
      const env = { ...s3.env, KAIROS_HOME: root };
      const [missing, denied, down] = await Promise.all([
        runCliAsync(['audit', 'verify', 's3://no-such-bucket/x'], env),
        runCliAsync(['audit', 'verify', `s3://${BUCKET}/exp-1`], {
          ...env,
          AWS_ACCESS_KEY_ID: 'NOT-S3RVER',
          AWS_SECRET_ACCESS_KEY: 'canary-secret-9',
        }),
        runCliAsync(['audit', 'verify', `s3://${BUCKET}/exp-1`], {
          ...env,
          AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1',
          AWS_MAX_ATTEMPTS: '1',
        }),
      ]);
      expect(missing).toEqual({
        code: 2,
        stdout: '',
        stderr:
          'kairos: head s3://no-such-bucket/x/manifest.json: the bucket "no-such-bucket" does not exist (at this endpoint) [OBJECT_STORE_BUCKET_MISSING]\n',
      });
      expect(denied).toMatchObject({
        code: 2,
        stdout: '',
        stderr: expect.stringMatching(
          /^kairos: head s3:\/\/audit\/exp-1\/manifest\.json: access denied \([^)]+\): check the credentials and the bucket policy \[OBJECT_STORE_DENIED\]\n$/,
        ),
      });
      expect(denied.stderr).not.toMatch(/canary-secret-9|NOT-S3RVER/);
      expect(down).toEqual({
        code: 2,
        stdout: '',
        stderr:
          'kairos: head s3://audit/exp-1/manifest.json: cannot reach the endpoint (ECONNREFUSED) [OBJECT_STORE_UNREACHABLE]\n',
      });
    });
  });
});
