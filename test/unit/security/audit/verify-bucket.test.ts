import { mkdtemp, rm } from 'node:fs/promises';
import { bodyBytes } from '../../../../src/security/audit/export-store.js';
import os from 'node:os';
import path from 'node:path';
import { KairosError } from '../../../../src/trading/core/errors.js';
import type { ExportSource } from '../../../../src/security/audit/export-store.js';
import { exportAudit } from '../../../../src/security/audit/export.js';
import { LocalSigner } from '../../../../src/security/audit/local-signer.js';
import { MANIFEST_FILE } from '../../../../src/security/audit/manifest.js';
import { verifyExport } from '../../../../src/security/audit/verify.js';
import { wholeObjects } from '../../../support/export-source.js';
import { auditChain } from './audit-chain.js';

// An auditor verifying an export straight from its bucket (Object Lock keeps versions): each
// object is read at the version the signed manifest names; an object whose stored checksum fails
// is a bad file; an absent one is missing; a bucket that cannot answer at all fails the run
// instead of passing for an export with missing files.

const FROM = Date.UTC(2024, 0, 1);
const TO = Date.UTC(2024, 0, 2);
const JSONL = 'audit-20240101T000000Z-20240102T000000Z.jsonl';

describe('verifying an export from a bucket', () => {
  let root: string;
  let signer: LocalSigner;
  /** The bucket: every version of every key. */
  const objects = new Map<string, Uint8Array>();

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kairos-audit-bucket-'));
    signer = await LocalSigner.open(path.join(root, 'keys'));
    await exportAudit({
      rows: auditChain(6),
      from: FROM,
      to: TO,
      store: {
        put: async (key, bytes) => {
          objects.set(`${key}@v1-${key}`, await bodyBytes(bytes));
          return { versionId: `v1-${key}` };
        },
      },
      signer,
      now: TO,
    });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** The bucket as a source; `fault` may answer for one object instead. */
  function bucket(fault?: (name: string) => Uint8Array | null | undefined): ExportSource {
    return wholeObjects('s3://audit/2024-01', async (name, versionId) => {
      const f = fault?.(name);
      if (f !== undefined) return f;
      // The manifest is read as the latest version; every other object at its signed version.
      const v = name === MANIFEST_FILE ? `v1-${name}` : versionId;
      return objects.get(`${name}@${v}`) ?? null;
    });
  }
  const checksum = (name: string) => {
    throw new KairosError('OBJECT_CHECKSUM_MISMATCH', `${name}: stored checksum does not match`);
  };

  it('verifies every object at the version the manifest signed', async () => {
    const report = await verifyExport(bucket(), signer.publicKeyPem);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.manifest?.files.map((f) => f.versionId)).toEqual(
      report.manifest?.files.map((f) => `v1-${f.name}`),
    );
  });

  it('reports an object whose stored checksum fails as a bad file, and a deleted one as missing', async () => {
    const bad = await verifyExport(
      bucket((n) => (n === JSONL ? checksum(n) : undefined)),
      signer.publicKeyPem,
    );
    expect(bad.ok).toBe(false);
    expect(bad.problems).toEqual([
      {
        kind: 'file-hash',
        file: JSONL,
        message: `${JSONL}: stored checksum does not match`,
      },
    ]);
    const gone = await verifyExport(
      bucket((n) => (n === JSONL ? null : undefined)),
      signer.publicKeyPem,
    );
    expect(gone.problems).toEqual([
      { kind: 'file-missing', file: JSONL, message: 'named in the manifest but missing' },
    ]);
  });

  it('reports a manifest that is absent or fails its checksum as unreadable', async () => {
    for (const fault of [
      (n: string) => (n === MANIFEST_FILE ? null : undefined),
      (n: string) => (n === MANIFEST_FILE ? checksum(n) : undefined),
    ]) {
      const report = await verifyExport(bucket(fault), signer.publicKeyPem);
      expect(report.ok).toBe(false);
      expect(report.manifest).toBeNull();
      expect(report.problems).toHaveLength(1);
      expect(report.problems[0]).toMatchObject({ kind: 'manifest', file: MANIFEST_FILE });
      expect(report.problems[0]!.message).toMatch(
        /^cannot read: (no such object|manifest.json: stored checksum does not match)$/,
      );
    }
  });

  it('fails, rather than report missing files, when the bucket cannot answer', async () => {
    const denied = () => {
      throw new KairosError('OBJECT_STORE_DENIED', 'access denied');
    };
    for (const at of [MANIFEST_FILE, JSONL])
      await expect(
        verifyExport(
          bucket((n) => (n === at ? denied() : undefined)),
          signer.publicKeyPem,
        ),
      ).rejects.toMatchObject({ code: 'OBJECT_STORE_DENIED' });
  });

  it('names the earliest bad row over the JSONL and the CSV, the JSONL first on a tie', async () => {
    const CSV = JSONL.replace('.jsonl', '.csv');
    const edit = (edits: Record<string, [string, string]>) =>
      bucket((n) => {
        const e = edits[n];
        if (!e) return undefined;
        const text = Buffer.from(objects.get(`${n}@v1-${n}`)!).toString('utf8');
        return Buffer.from(text.replace(e[0], e[1]), 'utf8');
      });
    const later = await verifyExport(
      edit({ [JSONL]: ['c-5', 'c-8'], [CSV]: ['c-3', 'c-7'] }),
      signer.publicKeyPem,
    );
    expect([later.firstBad?.file, later.firstBad?.seq]).toEqual([CSV, 3]);
    const tie = await verifyExport(
      edit({ [JSONL]: ['c-3', 'c-7'], [CSV]: ['c-3', 'c-7'] }),
      signer.publicKeyPem,
    );
    expect([tie.firstBad?.file, tie.firstBad?.seq]).toEqual([JSONL, 3]);
  });
});

describe('a manifest or file an auditor must not trust', () => {
  let root: string;
  let signer: LocalSigner;
  const objects = new Map<string, Uint8Array>();
  const CSV = JSONL.replace('.jsonl', '.csv');
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kairos-audit-shape-'));
    signer = await LocalSigner.open(root);
    await exportAudit({
      rows: auditChain(4),
      from: FROM,
      to: TO,
      store: { put: async (key, bytes) => void objects.set(key, await bodyBytes(bytes)) },
      signer,
      now: TO,
    });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const text = (name: string) => Buffer.from(objects.get(name)!).toString('utf8');
  /** Verifies with one object replaced by `body`. */
  const withObject = (name: string, body: string) =>
    verifyExport(
      wholeObjects('mem', async (n) =>
        n === name ? Buffer.from(body, 'utf8') : (objects.get(n) ?? null),
      ),
      signer.publicKeyPem,
    );
  const manifest = () => JSON.parse(text(MANIFEST_FILE)) as Record<string, unknown>;
  const shapeMessage = async (m: unknown) =>
    (await withObject(MANIFEST_FILE, JSON.stringify(m))).problems.map((p) => p.message);

  it('reports a CSV whose header row was changed', async () => {
    const report = await withObject(CSV, text(CSV).replace('seq', 'SEQ'));
    expect(report.problems).toContainEqual({
      kind: 'format',
      file: CSV,
      message: 'the header row is not the expected one',
    });
  });

  it('reports a manifest that is not an object, a version id that is not text and a signature that is not one', async () => {
    for (const m of [[manifest()], 5, 'manifest'])
      expect(await shapeMessage(m)).toEqual(['not an object']);
    const files = manifest().files as Record<string, unknown>[];
    expect(
      await shapeMessage({ ...manifest(), files: files.map((f) => ({ ...f, versionId: 7 })) }),
    ).toEqual([`files: ${files[0]!.name as string} has a versionId that is not a string`]);
    // No signature at all, or one that is text: the same refusal, never a crash.
    for (const signature of [null, undefined, 'Ed25519'])
      expect(await shapeMessage({ ...manifest(), signature })).toEqual([
        'signature: must be an Ed25519 signature',
      ]);
  });

  it('takes a manifest that names only the JSONL or only the CSV as data (the signature then fails)', async () => {
    const files = manifest().files as { name: string }[];
    for (const ext of ['.jsonl', '.csv']) {
      const only = files.filter((f) => !f.name.endsWith(ext === '.jsonl' ? '.csv' : '.jsonl'));
      const problems = await withObject(
        MANIFEST_FILE,
        JSON.stringify({ ...manifest(), files: only }),
      );
      expect(problems.problems.map((p) => p.kind)).toEqual(['signature']);
    }
  });
});

describe('an export range [from, to)', () => {
  it('holds a row recorded exactly at from', async () => {
    const rows = auditChain(3);
    const objects = new Map<string, Uint8Array>();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kairos-audit-range-'));
    try {
      const signer = await LocalSigner.open(dir);
      const from = rows[0]!.wallTs;
      await exportAudit({
        rows,
        from,
        to: from + 3_600_000,
        store: { put: async (key, bytes) => void objects.set(key, await bodyBytes(bytes)) },
        signer,
        now: from + 3_600_000,
      });
      const report = await verifyExport(
        wholeObjects('mem', async (name) => objects.get(name) ?? null),
        signer.publicKeyPem,
      );
      expect(report.problems).toEqual([]);
      expect(report.manifest?.firstSeq).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
