import { createHash } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalObjectStore } from '../../../src/cloud/local-object-store.js';
import type { ObjectStore } from '../../../src/cloud/object-store.js';
import { S3ObjectStore } from '../../../src/cloud/s3-object-store.js';
import type { ExportSource } from '../../../src/security/audit/export-store.js';
import { LocalSigner } from '../../../src/security/audit/local-signer.js';
import { MANIFEST_FILE } from '../../../src/security/audit/manifest.js';
import { verifyExport } from '../../../src/security/audit/verify.js';
import { exportSource } from '../../../src/system/object-stores.js';
import { EXPORT_JSONL as JSONL, exportInMemory } from '../../support/audit-export-fixture.js';
import { runCliAsync } from '../../support/run-cli.js';
import { startIfMatchProxy, type IfMatchProxy } from '../../support/s3-if-match-proxy.js';
import { startS3, type LocalS3 } from '../../support/s3rver.js';
import { auditChain } from '../../unit/security/audit/audit-chain.js';

// `kairos audit verify s3://…` when the bucket cannot answer, or an object changes under it,
// against a real S3-compatible server (s3rver; for `If-Match`, which s3rver ignores, a proxy in
// front of it that answers as S3 does). A wrong bucket, denied credentials or an endpoint that
// does not answer is one clear error naming the bucket and the cause, from every call of the
// store, never "missing files"; an object replaced between its HEAD (the size the limits check)
// and its GET is a verdict (`file-changed`), none of its new bytes read.

const BUCKET = 'audit';
const text = (s: string) => new TextEncoder().encode(s);

describe('verifying from a bucket that cannot answer or changes under the verifier', () => {
  let s3: LocalS3;
  let proxy: IfMatchProxy;
  let root: string;
  let signer: LocalSigner;
  let good: Map<string, Uint8Array>;
  let n = 0;

  beforeAll(async () => {
    s3 = await startS3([BUCKET]);
    proxy = await startIfMatchProxy(s3.endpoint);
    root = await mkdtemp(path.join(os.tmpdir(), 'kairos-verify-fail-'));
    signer = await LocalSigner.open(path.join(root, 'keys'));
    good = await exportInMemory(auditChain(6), signer);
  });
  afterEach(() => {
    proxy.afterHead = null;
  });
  afterAll(async () => {
    await proxy?.close();
    await s3?.close();
    await rm(root, { recursive: true, force: true });
  });

  /** The good export under a new prefix, written straight to s3rver; its URL. */
  async function place(): Promise<string> {
    const url = `s3://${BUCKET}/exp-${++n}`;
    const direct = S3ObjectStore.open(url, s3.settings);
    for (const [name, bytes] of good) await direct.put(name, bytes);
    return url;
  }

  const viaProxy = (url: string) =>
    S3ObjectStore.open(url, { ...s3.settings, endpoint: proxy.endpoint });

  /** Replaces `name` under `url` once, right after the proxy answered its first HEAD. */
  function replaceAfterHead(url: string, name: string, bytes: Uint8Array): void {
    const key = `/${BUCKET}/${url.slice(`s3://${BUCKET}/`.length)}/${name}`;
    proxy.afterHead = async (at) => {
      if (at !== key) return;
      proxy.afterHead = null;
      await S3ObjectStore.open(url, s3.settings).put(name, bytes, { overwrite: true });
    };
  }

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

  it('hashes each object once: the verifier takes the digest the store computed as it streamed', async () => {
    const store = S3ObjectStore.open(await place(), s3.settings);
    const reader = (await store.stream(JSONL))!;
    expect(reader.digest()).toBeNull();
    const read: Uint8Array[] = [];
    for await (const chunk of reader.chunks()) read.push(chunk);
    expect(reader.digest()).toBe(createHash('sha256').update(Buffer.concat(read)).digest('hex'));

    const source = exportSource(store);
    const digests: string[] = [];
    const counted: ExportSource = {
      location: source.location,
      open: async (name, versionId) => {
        const object = await source.open(name, versionId);
        const digest = object?.digest;
        return (
          object && {
            ...object,
            ...(digest && { digest: () => (digests.push(name), digest()) }),
          }
        );
      },
    };
    expect(await verifyExport(counted, signer.publicKeyPem)).toMatchObject({ ok: true });
    // The data files (the manifest is not hashed): each digest taken once, none hashed again.
    expect(digests.sort()).toEqual([...good.keys()].filter((k) => k !== MANIFEST_FILE).sort());
  });

  describe('an object replaced between its HEAD and its GET', () => {
    it('is read pinned to the ETag of its HEAD: an intact export verifies through S3 If-Match', async () => {
      const url = await place();
      proxy.seen.length = 0;
      const report = await verifyExport(exportSource(viaProxy(url)), signer.publicKeyPem);
      expect(report.ok).toBe(true);
      const gets = proxy.seen.filter((r) => r.method === 'GET');
      expect(gets.map((r) => r.path).sort()).toEqual(
        [...good.keys()].map((name) => `/${url.slice(5)}/${name}`).sort(),
      );
      for (const g of gets)
        expect(g).toMatchObject({ ifMatch: expect.stringMatching(/^"/), status: 200 });
    });

    it('a data file replaced by a larger one: `file-changed`, none of the new bytes read', async () => {
      const url = await place();
      const bigger = Buffer.concat([good.get(JSONL)!, Buffer.alloc(4096, 0x41)]);
      replaceAfterHead(url, JSONL, bigger);
      proxy.seen.length = 0;
      const report = await verifyExport(exportSource(viaProxy(url)), signer.publicKeyPem);
      expect(report.ok).toBe(false);
      expect(report.problems).toEqual([
        {
          kind: 'file-changed',
          file: JSONL,
          message: expect.stringMatching(
            new RegExp(
              `^get ${url}/${JSONL.replace(/\./g, '\\.')}: the object changed after its size was read \\(its ETag is no longer "[0-9a-f]+"\\); nothing of the new one was read: read it again$`,
            ),
          ),
        },
      ]);
      const jsonlGets = proxy.seen.filter((r) => r.method === 'GET' && r.path.endsWith(JSONL));
      expect(jsonlGets.map((r) => r.status)).toEqual([412]);
    });

    it('a replaced manifest: `file-changed` from kairos audit verify (exit 1), not a crash', async () => {
      const url = await place();
      replaceAfterHead(url, MANIFEST_FILE, text('{"not":"the manifest"}'));
      const r = await runCliAsync(['audit', 'verify', url], {
        ...s3.env,
        AWS_ENDPOINT_URL_S3: proxy.endpoint,
        KAIROS_HOME: root,
      });
      expect(r).toMatchObject({ code: 1, stderr: '' });
      expect(r.stdout).toContain(
        `  - file-changed [manifest.json]: get ${url}/manifest.json: the object changed after its size was read`,
      );
    });

    it('a folder store: a file replaced after its size was read is OBJECT_CHANGED, not read', async () => {
      const dir = path.join(root, `folder-${++n}`);
      const store = new LocalObjectStore(dir);
      await store.put('a.txt', text('first'));
      const reader = await store.stream('a.txt');
      await writeFile(path.join(dir, 'b.txt'), text('second, and longer'));
      await rename(path.join(dir, 'b.txt'), path.join(dir, 'a.txt'));
      const read: Uint8Array[] = [];
      await expect(
        (async () => {
          for await (const chunk of reader!.chunks()) read.push(chunk);
        })(),
      ).rejects.toMatchObject({
        code: 'OBJECT_CHANGED',
        message: `${path.join(dir, 'a.txt')}: the file changed after its size was read; nothing of the new one was read: read it again`,
      });
      expect(read).toEqual([]);
    });
  });
});
