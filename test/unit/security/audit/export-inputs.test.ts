import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exportAudit, MAX_EXPORT_MS } from '../../../../src/security/audit/export.js';
import type { ExportLock, ExportStore } from '../../../../src/security/audit/export-store.js';
import { LocalObjectStore } from '../../../../src/cloud/local-object-store.js';
import {
  LocalSigner,
  PUBLIC_KEY_FILE,
  SIGNING_KEY_FILE,
} from '../../../../src/security/audit/local-signer.js';
import { signedBytes, type Manifest } from '../../../../src/security/audit/manifest.js';
import { keyIdOf } from '../../../../src/security/audit/manifest-signer.js';
import { verifyExport } from '../../../../src/security/audit/verify.js';
import { auditChain } from './audit-chain.js';

const FROM = Date.UTC(2024, 0, 1);
const TO = Date.UTC(2024, 0, 2);

describe('audit export: inputs, manifest checks, folder store and signer', () => {
  let root: string;
  let signer: LocalSigner;
  let n = 0;
  const rows = auditChain(4);
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kairos-audit-inputs-'));
    signer = await LocalSigner.open(path.join(root, 'keys'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const folder = () => path.join(root, `e-${++n}`);
  const run = (from: number, to: number, dir = folder()) =>
    exportAudit({ rows, from, to, store: new LocalObjectStore(dir), signer, now: TO });

  it('refuses a range that is empty, backwards, not whole ms or outside 0…9999-12-31, naming it', async () => {
    for (const [from, to] of [
      [TO, FROM],
      [FROM, FROM],
      [FROM + 0.5, TO],
      [FROM, Number.NaN],
    ] as const) {
      await expect(run(from, to)).rejects.toMatchObject({
        code: 'USAGE',
        message: expect.stringContaining('must be before'),
      });
    }
    for (const [from, to] of [
      [-1, TO],
      [FROM, MAX_EXPORT_MS + 1],
    ] as const) {
      await expect(run(from, to)).rejects.toMatchObject({
        code: 'USAGE',
        message: expect.stringContaining('must lie in'),
      });
    }
    // The widest range allowed is allowed.
    await expect(run(0, MAX_EXPORT_MS)).resolves.toMatchObject({
      manifest: { fromMs: 0, toMs: MAX_EXPORT_MS, to: '9999-12-31T00:00:00.000Z' },
    });
  });

  it('names the files after the range, keeping milliseconds only when there are some', async () => {
    const dir = folder();
    const { keys, manifest } = await run(FROM + 500, TO, dir);
    expect(keys).toEqual([
      'audit-20240101T000000.500Z-20240102T000000Z.jsonl',
      'audit-20240101T000000.500Z-20240102T000000Z.csv',
      'public-key.pem',
      'manifest.json',
    ]);
    expect((await readdir(dir)).sort()).toEqual([...keys].sort());
    expect(manifest).toMatchObject({
      format: 'kairos-audit-export',
      from: '2024-01-01T00:00:00.500Z',
      to: '2024-01-02T00:00:00.000Z',
      fromMs: FROM + 500,
      toMs: TO,
      createdAt: '2024-01-02T00:00:00.000Z',
    });
    // Each file's size and SHA-256 as written; the signature verifies over the canonical manifest.
    for (const f of manifest.files) {
      expect((await stat(path.join(dir, f.name))).size).toBe(f.bytes);
    }
    const onDisk = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(onDisk).toEqual(manifest);
    expect(
      verify(
        null,
        signedBytes(onDisk),
        createPublicKey(signer.publicKeyPem),
        Buffer.from(onDisk.signature.value, 'base64'),
      ),
    ).toBe(true);
    expect(await readFile(path.join(dir, 'public-key.pem'), 'utf8')).toBe(signer.publicKeyPem);
  });

  /** Verifies a fresh export after `edit` rewrites its manifest (the signature then fails too). */
  async function withManifest(edit: (m: Record<string, unknown>) => unknown) {
    const dir = folder();
    await run(FROM, TO, dir);
    const file = path.join(dir, 'manifest.json');
    const m = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify(edit(m)));
    return verifyExport(dir, signer.publicKeyPem);
  }

  it.each([
    ['a list', () => [], 'not an object'],
    ['null', () => null, 'not an object'],
    [
      'another format',
      (m: Record<string, unknown>) => ({ ...m, format: 'x' }),
      'format "x", version 2:',
    ],
    ['version 3', (m: Record<string, unknown>) => ({ ...m, version: 3 }), ', version 3:'],
    // Parsed JSON that String() cannot print (its own toString is no function) or a list.
    [
      'a format whose toString is a number',
      (m: Record<string, unknown>) => ({ ...m, format: { toString: 1 } }),
      'format an object, version 2:',
    ],
    [
      'a null format',
      (m: Record<string, unknown>) => ({ ...m, format: null }),
      'format null, version 2:',
    ],
    [
      'a version that is a list',
      (m: Record<string, unknown>) => ({ ...m, version: [2] }),
      ', version a list:',
    ],
    [
      'a from that is not text',
      (m: Record<string, unknown>) => ({ ...m, from: { toString: 1 } }),
      'from: must be a string',
    ],
    [
      'a to that is a number',
      (m: Record<string, unknown>) => ({ ...m, to: 1 }),
      'to: must be a string',
    ],
    [
      'a negative rowCount',
      (m: Record<string, unknown>) => ({ ...m, rowCount: -1 }),
      'rowCount: must not be negative',
    ],
    ['a text fromMs', (m: Record<string, unknown>) => ({ ...m, fromMs: '1' }), 'fromMs'],
    ['a fractional toMs', (m: Record<string, unknown>) => ({ ...m, toMs: 1.5 }), 'toMs'],
    ['no rowCount', (m: Record<string, unknown>) => ({ ...m, rowCount: null }), 'rowCount'],
    ['a text firstSeq', (m: Record<string, unknown>) => ({ ...m, firstSeq: '3' }), 'firstSeq'],
    ['a text lastTs', (m: Record<string, unknown>) => ({ ...m, lastTs: 'x' }), 'lastTs'],
    [
      'a text firstWallTs',
      (m: Record<string, unknown>) => ({ ...m, firstWallTs: 'x' }),
      'firstWallTs',
    ],
    [
      'no lastWallTs',
      (m: Record<string, unknown>) => ({ ...m, lastWallTs: undefined }),
      'lastWallTs',
    ],
    ['another rangeOf', (m: Record<string, unknown>) => ({ ...m, rangeOf: 'ts' }), 'rangeOf'],
    [
      'a number anchorHash',
      (m: Record<string, unknown>) => ({ ...m, anchorHash: 1 }),
      'anchorHash',
    ],
    ['a number lastHash', (m: Record<string, unknown>) => ({ ...m, lastHash: 1 }), 'lastHash'],
    [
      'rows without firstSeq',
      (m: Record<string, unknown>) => ({ ...m, firstSeq: null }),
      'firstSeq and anchorHash',
    ],
    [
      'rows without anchorHash',
      (m: Record<string, unknown>) => ({ ...m, anchorHash: null }),
      'firstSeq and anchorHash',
    ],
    [
      'files not a list',
      (m: Record<string, unknown>) => ({ ...m, files: {} }),
      'files: must be a list',
    ],
    [
      'a file outside the folder',
      (m: Record<string, unknown>) => ({ ...m, files: [{ name: '../x.jsonl', sha256: '0' }] }),
      'bad name "../x.jsonl"',
    ],
    [
      'a file name that is an object',
      (m: Record<string, unknown>) => ({ ...m, files: [{ name: { toString: 1 }, sha256: '0' }] }),
      'bad name an object',
    ],
    [
      'a file entry that is not one',
      (m: Record<string, unknown>) => ({ ...m, files: [null] }),
      'bad name undefined',
    ],
    [
      'a file without sha256',
      (m: Record<string, unknown>) => ({ ...m, files: [{ name: 'a.jsonl' }] }),
      'a.jsonl has no sha256',
    ],
    [
      'no data file',
      (m: Record<string, unknown>) => ({ ...m, files: [{ name: 'public-key.pem', sha256: '0' }] }),
      'names no .jsonl or .csv',
    ],
    [
      'no signature',
      (m: Record<string, unknown>) => ({ ...m, signature: null }),
      'Ed25519 signature',
    ],
    [
      'an RSA signature',
      (m: Record<string, unknown>) => ({
        ...m,
        signature: { ...(m.signature as object), algorithm: 'RS256' },
      }),
      'Ed25519 signature',
    ],
    [
      'a signature without value',
      (m: Record<string, unknown>) => ({
        ...m,
        signature: { ...(m.signature as object), value: undefined },
      }),
      'keyId and value',
    ],
    // Node decodes base64 leniently: a character added, padding dropped, the URL alphabet or a
    // different last character would decode to the same 64 bytes.
    ...['#', ' ', '\n'].map((extra): [string, (m: Record<string, unknown>) => unknown, string] => [
      `a signature value with ${JSON.stringify(extra)} in it`,
      (m: Record<string, unknown>) => {
        const sig = m.signature as { value: string };
        return {
          ...m,
          signature: { ...sig, value: `${sig.value.slice(0, 40)}${extra}${sig.value.slice(40)}` },
        };
      },
      'signature: value must be 64 bytes in base64',
    ]),
    // Text before or after the 88 characters of a valid value.
    ...[(v: string) => `A${v}`, (v: string) => `${v}A`].map(
      (wrap): [string, (m: Record<string, unknown>) => unknown, string] => [
        `a signature value with text around it (${wrap('…')})`,
        (m: Record<string, unknown>) => {
          const sig = m.signature as { value: string };
          return { ...m, signature: { ...sig, value: wrap(sig.value) } };
        },
        'signature: value must be 64 bytes in base64',
      ],
    ),
    [
      'a signature value without its padding',
      (m: Record<string, unknown>) => {
        const sig = m.signature as { value: string };
        return { ...m, signature: { ...sig, value: sig.value.replace(/=+$/, '') } };
      },
      'signature: value must be 64 bytes in base64',
    ],
    [
      'a signature value of 65 bytes',
      (m: Record<string, unknown>) => {
        const sig = m.signature as { value: string };
        const bytes = Buffer.concat([Buffer.from(sig.value, 'base64'), Buffer.from([0])]);
        return { ...m, signature: { ...sig, value: bytes.toString('base64') } };
      },
      'signature: value must be 64 bytes in base64',
    ],
    [
      'a signature value whose last character has bits the bytes do not',
      (m: Record<string, unknown>) => {
        const sig = m.signature as { value: string };
        const last = sig.value.at(-3)!;
        // A, Q, g, w are the only characters whose low four bits are zero; the next one is not.
        const next = String.fromCharCode(last.charCodeAt(0) + 1);
        return { ...m, signature: { ...sig, value: `${sig.value.slice(0, -3)}${next}==` } };
      },
      'signature: value must be 64 bytes in base64',
    ],
    [
      'a signature without keyId',
      (m: Record<string, unknown>) => ({
        ...m,
        signature: { ...(m.signature as object), keyId: 5 },
      }),
      'keyId and value',
    ],
  ])('refuses a manifest with %s, saying what is wrong', async (_what, edit, message) => {
    const r = await withManifest(edit);
    expect(r).toMatchObject({ ok: false, manifest: null, firstBad: null });
    expect(r.problems).toEqual([
      { kind: 'manifest', file: 'manifest.json', message: expect.stringContaining(message) },
    ]);
  });

  it('reports a manifest that is not JSON, and one whose summary does not match its rows', async () => {
    const dir = folder();
    await run(FROM, TO, dir);
    const file = path.join(dir, 'manifest.json');
    const good = await readFile(file, 'utf8');
    await writeFile(file, '{');
    expect((await verifyExport(dir, signer.publicKeyPem)).problems).toEqual([
      { kind: 'manifest', file: 'manifest.json', message: 'not JSON' },
    ]);
    // A summary field changed (and so the signature): every data file disagrees with it.
    for (const key of ['firstTs', 'lastTs', 'firstWallTs', 'lastWallTs', 'lastSeq'] as const) {
      const m = JSON.parse(good) as Manifest;
      await writeFile(file, JSON.stringify({ ...m, [key]: (m[key] as number) + 1 }));
      const r = await verifyExport(dir, signer.publicKeyPem);
      expect(r.problems.filter((p) => p.kind === 'manifest').map((p) => p.file)).toEqual([
        m.files[0]!.name,
        m.files[1]!.name,
      ]);
    }
    const m = JSON.parse(good) as Manifest;
    await writeFile(file, JSON.stringify({ ...m, firstHash: m.lastHash }));
    expect((await verifyExport(dir, signer.publicKeyPem)).problems).toContainEqual(
      expect.objectContaining({ kind: 'manifest', message: expect.stringContaining('differ') }),
    );
  });

  it('checks a version 1 export’s range against ts, not against a wall time it does not have', async () => {
    const dir = folder();
    await run(FROM, TO, dir);
    const file = path.join(dir, 'manifest.json');
    const m = JSON.parse(await readFile(file, 'utf8')) as Manifest;
    // Rows recorded in the range, but stamped with 2019 market time: out of a ts range.
    const r = await verifyExport(dir, signer.publicKeyPem);
    expect(r.ok).toBe(true);
    await writeFile(file, JSON.stringify({ ...m, fromMs: 0, toMs: FROM }));
    const moved = await verifyExport(dir, signer.publicKeyPem);
    expect(moved.problems).toContainEqual(
      expect.objectContaining({
        kind: 'format',
        seq: 1,
        message: expect.stringContaining('outside'),
      }),
    );
  });

  it('puts objects only at safe relative names, making folders, never replacing one', async () => {
    const store = new LocalObjectStore(folder());
    for (const key of ['../x', 'a/../../x', '/etc/x', '.', '..', 'a/./b', 'a b', 'a\\b', '']) {
      await expect(store.put(key, new Uint8Array([1]))).rejects.toMatchObject({
        code: 'OBJECT_KEY_INVALID',
        message: expect.stringContaining(`"${key}"`),
      });
    }
    await store.put('day-1/sub/rows.jsonl', new Uint8Array([104, 105]));
    expect(await readFile(path.join(store.root, 'day-1', 'sub', 'rows.jsonl'), 'utf8')).toBe('hi');
    await store.put('.hidden-ok', new Uint8Array([]));
    await expect(store.put('day-1/sub/rows.jsonl', new Uint8Array([1]))).rejects.toMatchObject({
      code: 'OBJECT_EXISTS',
    });
    expect(await readFile(path.join(store.root, 'day-1', 'sub', 'rows.jsonl'), 'utf8')).toBe('hi');
  });

  it('keeps one signing key: made once (private 0600, public beside it), the same on every open', async () => {
    const keys = path.join(root, 'signer-keys');
    const a = await LocalSigner.open(keys);
    const b = await LocalSigner.open(keys);
    expect(b.keyId).toBe(a.keyId);
    expect(a.keyId).toBe(keyIdOf(a.publicKeyPem));
    expect(a.keyId).toMatch(/^[0-9a-f]{64}$/);
    expect(a.algorithm).toBe('Ed25519');
    expect((await stat(path.join(keys, SIGNING_KEY_FILE))).mode & 0o777).toBe(0o600);
    expect(await readFile(path.join(keys, PUBLIC_KEY_FILE), 'utf8')).toBe(a.publicKeyPem);
    const data = new TextEncoder().encode('manifest bytes');
    const sig = await a.sign(data);
    expect(verify(null, data, createPublicKey(b.publicKeyPem), sig)).toBe(true);
    // A public key file someone replaced is put back from the private key.
    await writeFile(path.join(keys, PUBLIC_KEY_FILE), 'not the key');
    await LocalSigner.open(keys);
    expect(await readFile(path.join(keys, PUBLIC_KEY_FILE), 'utf8')).toBe(a.publicKeyPem);
  });

  it('refuses a signing key file that is not a PEM key, or not Ed25519', async () => {
    const bad = path.join(root, 'bad-keys');
    await LocalSigner.open(bad);
    await writeFile(path.join(bad, SIGNING_KEY_FILE), 'garbage', { mode: 0o600 });
    await expect(LocalSigner.open(bad)).rejects.toMatchObject({
      code: 'KEY_FILE_INVALID',
      message: expect.stringContaining('not a PEM private key'),
      cause: expect.objectContaining({ message: expect.any(String) }), // the parser's own reason
    });
    const rsa = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    await writeFile(path.join(bad, SIGNING_KEY_FILE), rsa, { mode: 0o600 });
    await expect(LocalSigner.open(bad)).rejects.toMatchObject({
      code: 'KEY_FILE_INVALID',
      message: expect.stringContaining('not an Ed25519 key'),
    });
  });

  it('under Object Lock, writes every object with the retention and signs each object’s version id and the retention', async () => {
    const puts: { key: string; lock: ExportLock | undefined }[] = [];
    const inner = new LocalObjectStore(folder());
    // A bucket that keeps versions: each put answers the version it made.
    const bucket: ExportStore = {
      async put(key, bytes, options) {
        await inner.put(key, bytes);
        puts.push({ key, lock: options?.lock });
        return { versionId: `v-${puts.length}` };
      },
    };
    const lock: ExportLock = { mode: 'COMPLIANCE', retainUntil: Date.UTC(2031, 0, 2, 3, 4, 5) };
    const { manifest, keys } = await exportAudit({
      rows,
      from: FROM,
      to: TO,
      store: bucket,
      signer,
      lock,
      now: TO,
    });
    expect(puts).toEqual(keys.map((key) => ({ key, lock })));
    expect(manifest.files.map((f) => [f.name, f.versionId])).toEqual([
      [keys[0], 'v-1'],
      [keys[1], 'v-2'],
      ['public-key.pem', 'v-3'],
    ]);
    expect(manifest.objectLock).toEqual({
      mode: 'COMPLIANCE',
      retainUntil: '2031-01-02T03:04:05.000Z',
    });
    expect(
      verify(
        null,
        signedBytes(manifest),
        createPublicKey(signer.publicKeyPem),
        Buffer.from(manifest.signature.value, 'base64'),
      ),
    ).toBe(true);
    // Without a lock: no retention asked for, none recorded, and no version id from a folder.
    const plain = await run(FROM, TO);
    expect(plain.manifest).not.toHaveProperty('objectLock');
    expect(plain.manifest.files.every((f) => !('versionId' in f))).toBe(true);
  });

  it('writes the public key readable by everyone and the private key by its owner only, whatever the umask', async () => {
    const keys = path.join(root, 'umask-keys');
    const before = process.umask(0);
    try {
      await LocalSigner.open(keys);
    } finally {
      process.umask(before);
    }
    expect((await stat(path.join(keys, PUBLIC_KEY_FILE))).mode & 0o777).toBe(0o644);
    expect((await stat(path.join(keys, SIGNING_KEY_FILE))).mode & 0o777).toBe(0o600);
  });

  it('tells an auditor who has only the export folder how each row’s hash is made', async () => {
    const { manifest } = await run(FROM, TO);
    expect(manifest.chain).toBe(
      'hash = sha256_hex(utf8(prev_hash_hex + canonical_json(row))); ' +
        'row = {action,actor,hash_version,payload,role,seq,subject,ts,wall_ts} when hash_version = 2, ' +
        '{action,actor,payload,role,seq,subject,ts} when hash_version = 1 (and then wall_ts = ts); ' +
        'canonical_json = RFC 8785 (JCS); the first row of the log links to 64 zeros',
    );
  });
});
