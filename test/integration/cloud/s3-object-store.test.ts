import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { LocalObjectStore } from '../../../src/cloud/local-object-store.js';
import { S3ObjectStore } from '../../../src/cloud/s3-object-store.js';
import { s3Client } from '../../../src/cloud/s3-settings.js';
import { startS3, type LocalS3 } from '../../support/s3rver.js';

const MiB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const text = (s: string) => new TextEncoder().encode(s);

/** The requests a store's client sends: command name, method, path and headers. */
function record(store: S3ObjectStore) {
  const seen: { command: string; method: string; path: string; headers: Record<string, string> }[] =
    [];
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      const req = args.request as { method: string; path: string; headers: Record<string, string> };
      seen.push({
        command: context.commandName ?? '',
        method: req.method,
        path: req.path,
        headers: { ...req.headers },
      });
      return next(args);
    },
    { step: 'finalizeRequest', name: 'kairosRecordRequests' },
  );
  return seen;
}

describe('S3ObjectStore against s3rver', () => {
  let s3: LocalS3;
  let tmp: string;
  const open = (url: string, sizes?: { threshold?: number; partSize?: number }) =>
    S3ObjectStore.open(url, s3.settings, sizes);

  beforeAll(async () => {
    s3 = await startS3(['kairos-objects']);
    tmp = await mkdtemp(path.join(os.tmpdir(), 'kairos-s3-test-'));
  });
  afterAll(async () => {
    await s3.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('puts, heads, gets and lists objects under its prefix, with their SHA-256', async () => {
    const store = open('s3://kairos-objects/round-trip/');
    expect(store.location).toBe('s3://kairos-objects/round-trip');
    const bytes = text('{"hello":"world"}\n');
    const put = await store.put('a/one.json', bytes, { contentType: 'application/json' });
    expect(put).toEqual({ key: 'a/one.json', bytes: bytes.length, sha256: sha(bytes) });
    await store.put('a/two.txt', text('two'));
    await store.put('b.txt', text('b'));
    await open('s3://kairos-objects/other').put('a/one.json', text('not mine'));

    expect(await store.head('a/one.json')).toEqual({
      key: 'a/one.json',
      bytes: bytes.length,
      sha256: sha(bytes),
    });
    expect(await store.head('a/none.json')).toBeNull();
    expect(Buffer.from(await store.get('a/one.json')).toString()).toBe('{"hello":"world"}\n');
    expect((await store.list()).map((o) => [o.key, o.bytes])).toEqual([
      ['a/one.json', bytes.length],
      ['a/two.txt', 3],
      ['b.txt', 1],
    ]);
    expect((await store.list('a/')).map((o) => o.key)).toEqual(['a/one.json', 'a/two.txt']);
    await expect(store.get('a/none.json')).rejects.toMatchObject({
      code: 'OBJECT_NOT_FOUND',
      message: 'get s3://kairos-objects/round-trip/a/none.json: no such object',
    });
  });

  it('never overwrites unless asked to', async () => {
    const store = open('s3://kairos-objects/once');
    await store.put('x.txt', text('first'));
    await expect(store.put('x.txt', text('second'))).rejects.toMatchObject({
      code: 'OBJECT_EXISTS',
      message: 's3://kairos-objects/once/x.txt exists; objects are never overwritten',
    });
    expect(Buffer.from(await store.get('x.txt')).toString()).toBe('first');
    await store.put('x.txt', text('second'), { overwrite: true });
    expect(Buffer.from(await store.get('x.txt')).toString()).toBe('second');
  });

  it('detects an object changed on the server: its bytes no longer match the SHA-256 recorded on write', async () => {
    const store = open('s3://kairos-objects/corrupt');
    await store.put('rows.jsonl', text('{"seq":1}\n{"seq":2}\n'));
    await writeFile(
      s3.objectFile('kairos-objects', 'corrupt/rows.jsonl'),
      '{"seq":1}\n{"seq":3}\n',
    );
    await expect(store.get('rows.jsonl')).rejects.toMatchObject({
      code: 'OBJECT_CHECKSUM_MISMATCH',
      message: expect.stringMatching(
        /^s3:\/\/kairos-objects\/corrupt\/rows\.jsonl: SHA-256 is [0-9a-f]{64}, recorded on write [0-9a-f]{64}/,
      ),
    });
    // A checksum the caller expects is checked too.
    await store.put('good.txt', text('good'));
    await expect(store.get('good.txt', { sha256: sha(text('other')) })).rejects.toMatchObject({
      code: 'OBJECT_CHECKSUM_MISMATCH',
    });
  });

  it('streams an object: its size by HEAD first, the GET only when read, checked after the last byte', async () => {
    const store = open('s3://kairos-objects/stream');
    const seen = record(store);
    const bytes = randomBytes(3 * MiB);
    await store.put('big.bin', bytes);
    seen.length = 0;
    const reader = (await store.stream('big.bin'))!;
    expect(reader.bytes).toBe(bytes.length);
    expect(seen.map((r) => r.command)).toEqual(['HeadObjectCommand']);
    const parts: Uint8Array[] = [];
    for await (const chunk of reader.chunks()) parts.push(chunk);
    expect(sha(Buffer.concat(parts))).toBe(sha(bytes));
    expect(seen.map((r) => r.command)).toEqual(['HeadObjectCommand', 'GetObjectCommand']);
    expect(await store.stream('none.bin')).toBeNull();
    // Changed on the server: the bytes stream by, the recorded SHA-256 fails at the end.
    await writeFile(s3.objectFile('kairos-objects', 'stream/big.bin'), randomBytes(3 * MiB));
    let read = 0;
    await expect(
      (async () => {
        for await (const chunk of (await store.stream('big.bin'))!.chunks()) read += chunk.length;
      })(),
    ).rejects.toMatchObject({
      code: 'OBJECT_CHECKSUM_MISMATCH',
      message: expect.stringMatching(/^s3:\/\/kairos-objects\/stream\/big\.bin: SHA-256 is /),
    });
    expect(read).toBe(3 * MiB);
    // The folder store answers the same way.
    const local = new LocalObjectStore(path.join(tmp, 'stream'));
    await local.put('big.bin', bytes);
    const fromFolder = (await local.stream('big.bin', { sha256: sha(text('other')) }))!;
    expect(fromFolder.bytes).toBe(bytes.length);
    await expect(
      (async () => {
        for await (const chunk of fromFolder.chunks()) void chunk;
      })(),
    ).rejects.toMatchObject({ code: 'OBJECT_CHECKSUM_MISMATCH' });
    expect(await local.stream('none.bin')).toBeNull();
  });

  it('uploads a large file in parts (lib-storage) and reads it back intact', async () => {
    const store = open('s3://kairos-objects/big', { threshold: 5 * MiB, partSize: 5 * MiB });
    const seen = record(store);
    const bytes = randomBytes(11 * MiB);
    const file = path.join(tmp, 'big.bin');
    await writeFile(file, bytes);
    const put = await store.put('data/big.bin', { file });
    expect(put).toMatchObject({ bytes: bytes.length, sha256: sha(bytes) });
    expect(seen.map((r) => r.command).filter((c) => c !== 'HeadObjectCommand')).toEqual([
      'CreateMultipartUploadCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'CompleteMultipartUploadCommand',
    ]);
    expect(seen.find((r) => r.command === 'CreateMultipartUploadCommand')!.headers).toMatchObject({
      'x-amz-meta-sha256': sha(bytes),
    });
    expect(sha(await store.get('data/big.bin'))).toBe(sha(bytes));
    expect(await store.head('data/big.bin')).toMatchObject({ bytes: 11 * MiB, sha256: sha(bytes) });
  });

  it('sends the retention and a SHA-256 checksum of every part on a locked multipart upload', async () => {
    const store = open('s3://kairos-objects/locked-big', { threshold: 5 * MiB, partSize: 5 * MiB });
    const seen = record(store);
    const bytes = randomBytes(6 * MiB);
    const retainUntil = Date.UTC(2033, 11, 3, 18, 0, 0);
    await store.put('big.bin', bytes, { lock: { mode: 'COMPLIANCE', retainUntil } });
    expect(seen.find((r) => r.command === 'CreateMultipartUploadCommand')!.headers).toMatchObject({
      'x-amz-object-lock-mode': 'COMPLIANCE',
      'x-amz-object-lock-retain-until-date': '2033-12-03T18:00:00Z',
      'x-amz-checksum-algorithm': 'SHA256',
    });
    const parts = seen.filter((r) => r.command === 'UploadPartCommand');
    expect(parts).toHaveLength(2);
    for (const p of parts) {
      expect(p.headers['x-amz-checksum-sha256']).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    }
    expect(sha(await store.get('big.bin'))).toBe(sha(bytes));
  });

  it('sends Object Lock COMPLIANCE retention and a SHA-256 checksum on a locked put', async () => {
    const store = open('s3://kairos-objects/locked');
    const seen = record(store);
    const bytes = text('manifest');
    const retainUntil = Date.UTC(2033, 11, 3, 18, 0, 0);
    await store.put('manifest.json', bytes, { lock: { mode: 'COMPLIANCE', retainUntil } });
    const put = seen.filter((r) => r.command === 'PutObjectCommand');
    expect(put).toHaveLength(1);
    expect(put[0]).toMatchObject({ method: 'PUT', path: '/kairos-objects/locked/manifest.json' });
    expect(put[0]!.headers).toMatchObject({
      'x-amz-object-lock-mode': 'COMPLIANCE',
      'x-amz-object-lock-retain-until-date': '2033-12-03T18:00:00Z',
      'x-amz-checksum-sha256': Buffer.from(sha(bytes), 'hex').toString('base64'),
      'x-amz-meta-sha256': sha(bytes),
      'if-none-match': '*',
    });
    // s3rver has no Object Lock: it says so, as a bucket without a lock configuration does.
    expect(await store.objectLock()).toEqual({ enabled: false });
  });

  it('reads an object another tool wrote (no recorded checksum) and checks what the caller expects', async () => {
    const raw = s3Client(s3.settings);
    await raw.send(
      new PutObjectCommand({ Bucket: 'kairos-objects', Key: 'foreign/a.csv', Body: 'a,b\n' }),
    );
    const store = open('s3://kairos-objects/foreign');
    expect(await store.head('a.csv')).toMatchObject({ sha256: null, bytes: 4 });
    expect(Buffer.from(await store.get('a.csv', { sha256: sha(text('a,b\n')) })).toString()).toBe(
      'a,b\n',
    );
  });

  describe('bad input: one clear line and a stable code', () => {
    it('a missing bucket', async () => {
      const store = open('s3://no-such-bucket/x');
      await expect(store.put('a.txt', text('a'))).rejects.toMatchObject({
        code: 'OBJECT_STORE_BUCKET_MISSING',
        message:
          'put s3://no-such-bucket/x/a.txt: the bucket "no-such-bucket" does not exist (at this endpoint)',
      });
      await expect(store.objectLock()).rejects.toMatchObject({
        code: 'OBJECT_STORE_BUCKET_MISSING',
      });
      await expect(store.list()).rejects.toMatchObject({ code: 'OBJECT_STORE_BUCKET_MISSING' });
    });

    it('denied credentials (never echoed)', async () => {
      const store = S3ObjectStore.open('s3://kairos-objects/x', {
        ...s3.settings,
        credentials: { accessKeyId: 'NOT-S3RVER', secretAccessKey: 'canary-secret-42' },
      });
      for (const call of [() => store.put('a.txt', text('a')), () => store.get('b.txt')]) {
        const e = (await call().catch((x: unknown) => x)) as Error & { code: string };
        expect(e.code).toBe('OBJECT_STORE_DENIED');
        expect(e.message).toMatch(/^(head|get) s3:\/\/kairos-objects\/x\/[ab]\.txt: access denied/);
        expect(e.message).not.toContain('canary-secret-42');
        expect(e.message).not.toContain('NOT-S3RVER');
      }
    });

    it('an unreachable endpoint', async () => {
      const store = S3ObjectStore.open('s3://kairos-objects/x', {
        ...s3.settings,
        endpoint: 'http://127.0.0.1:1',
      });
      await expect(store.head('a.txt')).rejects.toMatchObject({
        code: 'OBJECT_STORE_UNREACHABLE',
        message: 'head s3://kairos-objects/x/a.txt: cannot reach the endpoint (ECONNREFUSED)',
      });
    });

    it.each([
      ['s3:/bucket/x', /must be s3:\/\/bucket or s3:\/\/bucket\/prefix/],
      ['s3://', /bucket "" is not a valid S3 bucket name/],
      ['s3://Upper_Case/x', /bucket "Upper_Case" is not a valid S3 bucket name/],
      ['s3://ab/x', /bucket "ab" is not a valid/],
      ['s3://bucket/../etc', /prefix "..\/etc" is not a safe key/],
      ['s3://bucket/a b', /prefix "a b" is not a safe key/],
    ])('a bad URL %s', (url, message) => {
      expect(() => open(url)).toThrow(
        expect.objectContaining({
          code: 'OBJECT_STORE_URL_INVALID',
          message: expect.stringMatching(message),
        }),
      );
    });

    it('an unsafe key', async () => {
      const store = open('s3://kairos-objects/x');
      for (const key of ['../x', '/abs', 'a//b', 'a/./b', '']) {
        await expect(store.put(key, text('a'))).rejects.toMatchObject({
          code: 'OBJECT_KEY_INVALID',
        });
      }
    });
  });
});
