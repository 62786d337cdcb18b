import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../../src/cloud/s3-object-store.js';
import { s3Client } from '../../../src/cloud/s3-settings.js';
import { LocalSigner } from '../../../src/security/audit/local-signer.js';
import { verifyExport } from '../../../src/security/audit/verify.js';
import { AuditRepository } from '../../../src/store/audit-repository.js';
import { exportAuditRange } from '../../../src/system/audit-export.js';
import { exportSource } from '../../../src/system/object-stores.js';
import { startS3, type LocalS3 } from '../../support/s3rver.js';
import { freshStore } from '../../support/stores.js';

const BUCKET = 'kairos-audit';
const DAY = Date.UTC(2024, 0, 1);
const NOW = Date.UTC(2026, 11, 3, 12);
const BASE = 'audit-20240101T000000Z-20240102T000000Z';

describe('audit export to S3 and verify from S3', () => {
  let s3: LocalS3;
  let store: Awaited<ReturnType<typeof freshStore>>;
  let keysDir: string;
  let publicKeyPem: string;
  const by = { actor: 'ann', role: 'auditor' };

  beforeAll(async () => {
    s3 = await startS3([BUCKET]);
    store = await freshStore('postgres');
    keysDir = await mkdtemp(path.join(os.tmpdir(), 'kairos-audit-keys-'));
    publicKeyPem = (await LocalSigner.open(keysDir)).publicKeyPem;
    let wall = 0;
    const audit = new AuditRepository(store.db, () => wall);
    for (let i = 1; i <= 5; i++) {
      wall = DAY + i * 3_600_000;
      await audit.append({
        ts: wall,
        actor: `user-${i}`,
        role: 'trader',
        action: 'order.submitted',
        subject: `c-${i}`,
        payload: { qty: `${i}` },
      });
    }
  });
  afterAll(async () => {
    await store.drop();
    await s3.close();
    await rm(keysDir, { recursive: true, force: true });
  });

  const open = (prefix: string) => S3ObjectStore.open(`s3://${BUCKET}/${prefix}`, s3.settings);
  const exportTo = (target: S3ObjectStore, extra: { noLock?: boolean } = {}) =>
    exportAuditRange(store.db, {
      from: DAY,
      to: DAY + 86_400_000,
      out: target.location,
      store: target,
      keysDir,
      by,
      now: () => NOW,
      ...extra,
    });
  const exportedRows = async () =>
    (await new AuditRepository(store.db).list(0, Number.MAX_SAFE_INTEGER)).filter(
      (r) => r.action === 'audit.exported',
    );

  it('refuses a bucket without Object Lock, writing nothing, unless --no-lock', async () => {
    const target = open('refused');
    const before = (await exportedRows()).length;
    await expect(exportTo(target)).rejects.toMatchObject({
      code: 'OBJECT_LOCK_MISSING',
      message: expect.stringMatching(
        /^s3:\/\/kairos-audit\/refused: the bucket has no Object Lock, .*or pass --no-lock$/,
      ),
    });
    expect(await target.list()).toEqual([]);
    expect(await exportedRows()).toHaveLength(before);
  });

  it('exports with --no-lock, verifies from the bucket, and names a tampered object', async () => {
    const target = open('unlocked/2024-01-01');
    const { out, manifest } = await exportTo(target, { noLock: true });
    expect(out).toBe('s3://kairos-audit/unlocked/2024-01-01');
    expect(manifest.objectLock).toBeUndefined();
    expect((await target.list()).map((o) => o.key)).toEqual([
      `${BASE}.csv`,
      `${BASE}.jsonl`,
      'manifest.json',
      'public-key.pem',
    ]);
    expect((await exportedRows()).at(-1)).toMatchObject({ subject: out });
    const ok = await verifyExport(exportSource(target), publicKeyPem);
    expect(ok).toMatchObject({ ok: true, problems: [] });

    // Someone rewrites the JSONL object (a plain PUT: no Kairos checksum on it).
    const jsonl = Buffer.from(await target.get(`${BASE}.jsonl`)).toString();
    await s3Client(s3.settings).send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `unlocked/2024-01-01/${BASE}.jsonl`,
        Body: jsonl.replace('"qty":"3"', '"qty":"300"'),
      }),
    );
    // And the CSV object is changed on the server's disk (its recorded checksum no longer fits).
    await writeFile(s3.objectFile(BUCKET, `unlocked/2024-01-01/${BASE}.csv`), 'seq\r\n');
    const bad = await verifyExport(exportSource(target), publicKeyPem);
    expect(bad.ok).toBe(false);
    expect(bad.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'file-hash', file: `${BASE}.jsonl` }),
        expect.objectContaining({
          kind: 'file-hash',
          file: `${BASE}.csv`,
          message: expect.stringContaining('recorded on write'),
        }),
      ]),
    );
    expect(bad.firstBad).toMatchObject({ seq: 3, kind: 'changed', file: `${BASE}.jsonl` });
  });

  it('never writes over an export: the same prefix again is AUDIT_EXPORT_EXISTS', async () => {
    const target = open('twice');
    await exportTo(target, { noLock: true });
    await expect(exportTo(target, { noLock: true })).rejects.toMatchObject({
      code: 'AUDIT_EXPORT_EXISTS',
      message: `s3://kairos-audit/twice/${BASE}.jsonl exists; objects are never overwritten (export to a new folder or prefix)`,
    });
    expect(await verifyExport(exportSource(target), publicKeyPem)).toMatchObject({ ok: true });
  });

  it('writes every object under COMPLIANCE retention and signs each version id when the bucket has Object Lock', async () => {
    const target = open('locked');
    const puts: { key: string; headers: Record<string, string> }[] = [];
    // s3rver has no Object Lock: this bucket answers as one with a 30-day default retention
    // does, and each put answers a version id, as a versioned bucket does.
    target.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetObjectLockConfigurationCommand') {
          return {
            output: {
              $metadata: {},
              ObjectLockConfiguration: {
                ObjectLockEnabled: 'Enabled',
                Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 30 } },
              },
            },
            response: {},
          } as never;
        }
        const result = await next(args);
        if (context.commandName === 'PutObjectCommand') {
          const key = (args.input as { Key: string }).Key;
          (result.output as { VersionId?: string }).VersionId = `v-${path.basename(key)}`;
        }
        return result;
      },
      { step: 'initialize', name: 'kairosFakeObjectLock' },
    );
    target.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutObjectCommand') {
          const req = args.request as { path: string; headers: Record<string, string> };
          puts.push({ key: path.basename(req.path), headers: { ...req.headers } });
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: 'kairosRecordPuts' },
    );
    const { manifest } = await exportTo(target);
    const retainUntil = new Date(NOW + 30 * 86_400_000).toISOString();
    expect(manifest.objectLock).toEqual({ mode: 'COMPLIANCE', retainUntil });
    expect(manifest.files.map((f) => [f.name, f.versionId])).toEqual([
      [`${BASE}.jsonl`, `v-${BASE}.jsonl`],
      [`${BASE}.csv`, `v-${BASE}.csv`],
      ['public-key.pem', 'v-public-key.pem'],
    ]);
    expect(puts.map((p) => p.key)).toEqual([
      `${BASE}.jsonl`,
      `${BASE}.csv`,
      'public-key.pem',
      'manifest.json',
    ]);
    for (const p of puts) {
      expect(p.headers).toMatchObject({
        'x-amz-object-lock-mode': 'COMPLIANCE',
        'x-amz-object-lock-retain-until-date': retainUntil.replace('.000Z', 'Z'),
        'x-amz-checksum-sha256': expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/),
      });
    }
    expect((await exportedRows()).at(-1)!.payload).toMatchObject({ retainUntil });
    // The verifier reads each object at its signed version id (s3rver answers the current one).
    const report = await verifyExport(exportSource(target), publicKeyPem);
    expect(report).toMatchObject({ ok: true, manifest: { objectLock: { retainUntil } } });
  });

  it('leaves no export that verifies when an upload fails midway', async () => {
    const target = open('failed');
    target.client.middlewareStack.add(
      (next, context) => async (args) => {
        const key = (args.input as { Key?: string }).Key ?? '';
        if (context.commandName === 'PutObjectCommand' && key.endsWith('.csv')) {
          throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'kairosFailCsv' },
    );
    const before = (await exportedRows()).length;
    await expect(exportTo(target, { noLock: true })).rejects.toMatchObject({
      code: 'OBJECT_STORE_UNREACHABLE',
      message: `put s3://kairos-audit/failed/${BASE}.csv: cannot reach the endpoint (ECONNRESET)`,
    });
    expect((await target.list()).map((o) => o.key)).toEqual([`${BASE}.jsonl`]);
    const report = await verifyExport(exportSource(target), publicKeyPem);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ kind: 'manifest', file: 'manifest.json' });
    expect(await exportedRows()).toHaveLength(before);
  });

  it('passes a store that cannot answer on, instead of calling the export bad', async () => {
    const missing = S3ObjectStore.open('s3://no-such-bucket/x', s3.settings);
    await expect(verifyExport(exportSource(missing), publicKeyPem)).rejects.toMatchObject({
      code: 'OBJECT_STORE_BUCKET_MISSING',
    });
    await expect(exportTo(missing, { noLock: true })).rejects.toMatchObject({
      code: 'OBJECT_STORE_BUCKET_MISSING',
    });
  });
});
