import pg from 'pg';
import { S3ObjectStore } from '../../../src/cloud/s3-object-store.js';
import { apiCall } from '../../support/api-call.js';
import { startTestServer, type TestServer } from '../../support/api-server.js';
import { TEST_DATABASE_URL } from '../../support/postgres.js';
import { startS3, type LocalS3 } from '../../support/s3rver.js';

describe('POST /audit/exports on a server with S3_BUCKET', () => {
  let s3: LocalS3;
  let t: TestServer;
  const saved = { ...process.env };
  const schema = `kairos_bucket_${process.pid}_${Math.floor(Math.random() * 1e9)}`;

  beforeAll(async () => {
    s3 = await startS3(['kairos-prod']);
    // The server's S3 client finds credentials through the SDK's chain, as on AWS.
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    t = await startTestServer({
      postgresSchema: schema,
      env: { S3_BUCKET: 's3://kairos-prod/kairos', AWS_ENDPOINT_URL_S3: s3.endpoint },
    });
  });
  afterAll(async () => {
    await t.server.close();
    await s3.close();
    const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    await db.query(`drop schema if exists ${schema} cascade`);
    await db.end();
    for (const k of [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
    ]) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('refuses a bucket without Object Lock with a problem naming it, writing nothing', async () => {
    const r = await apiCall(t.server.url, 'POST', '/audit/exports', {
      token: t.tokens.auditor,
      body: { from: 0, to: Date.now() + 1 },
    });
    expect(r.status).toBe(500);
    expect(r.type).toMatch(/^application\/problem\+json/);
    expect(r.json).toMatchObject({
      code: 'OBJECT_LOCK_MISSING',
      title: 'Export bucket has no Object Lock',
      detail: expect.stringMatching(
        /^s3:\/\/kairos-prod\/kairos\/audit-exports\/[0-9a-f-]{36}: the bucket has no Object Lock/,
      ),
    });
    expect(await S3ObjectStore.open('s3://kairos-prod', s3.settings).list()).toEqual([]);
  });
});
