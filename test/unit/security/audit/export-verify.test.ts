import { createHash, generateKeyPairSync } from 'node:crypto';
import { cp, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AuditRecord } from '../../../../src/security/audit/audit-record.js';
import { chainHash } from '../../../../src/security/audit/chain.js';
import { csv } from '../../../../src/security/audit/csv-format.js';
import { exportAudit } from '../../../../src/security/audit/export.js';
import { LocalObjectStore } from '../../../../src/cloud/local-object-store.js';
import { LocalSigner, SIGNING_KEY_FILE } from '../../../../src/security/audit/local-signer.js';
import type { Manifest } from '../../../../src/security/audit/manifest.js';
import { verifyExport } from '../../../../src/security/audit/verify.js';
import { ROOT } from '../../../support/run-cli.js';
import { auditChain } from './audit-chain.js';

const FROM = Date.UTC(2024, 0, 1);
const TO = Date.UTC(2024, 0, 2);
const BASE = 'audit-20240101T000000Z-20240102T000000Z';

describe('audit export and verify', () => {
  let root: string;
  let signer: LocalSigner;
  const rows = auditChain(10);
  let n = 0;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kairos-audit-'));
    signer = await LocalSigner.open(path.join(root, 'keys'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** A fresh export of rows 3…10 (anchored on row 2) in its own folder. */
  async function fresh(): Promise<string> {
    const dir = path.join(root, `export-${++n}`);
    await exportAudit({
      rows: rows.slice(2),
      from: FROM,
      to: TO,
      store: new LocalObjectStore(dir),
      signer,
      now: TO,
    });
    return dir;
  }
  const jsonlOf = (dir: string) => path.join(dir, `${BASE}.jsonl`);
  async function editLines(file: string, edit: (lines: string[]) => string[]): Promise<void> {
    const lines = (await readFile(file, 'utf8')).split('\n').slice(0, -1);
    await writeFile(
      file,
      edit(lines)
        .map((l) => `${l}\n`)
        .join(''),
    );
  }

  it('writes JSONL, CSV, the public key and a signed manifest that verifies', async () => {
    const dir = await fresh();
    expect((await readdir(dir)).sort()).toEqual(
      [`${BASE}.csv`, `${BASE}.jsonl`, 'manifest.json', 'public-key.pem'].sort(),
    );
    const m = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(m).toMatchObject({
      rowCount: 8,
      firstSeq: 3,
      lastSeq: 10,
      anchorHash: rows[1]!.hash,
      firstHash: rows[2]!.hash,
      lastHash: rows[9]!.hash,
      firstTs: rows[2]!.ts,
      lastTs: rows[9]!.ts,
      firstWallTs: rows[2]!.wallTs,
      lastWallTs: rows[9]!.wallTs,
      version: 2,
      rangeOf: 'wall_ts',
      from: '2024-01-01T00:00:00.000Z',
      signature: { algorithm: 'Ed25519', keyId: signer.keyId },
    });
    const report = await verifyExport(dir, signer.publicKeyPem);
    expect(report).toMatchObject({ ok: true, problems: [], firstBad: null });
    // The CSV carries the same rows, formula-looking text guarded, and reads back exactly.
    const text = await readFile(path.join(dir, `${BASE}.csv`), 'utf8');
    expect(text).toContain(`"'=cmd|""x, y"""`);
    const back = csv.read(text);
    expect(back.headerOk).toBe(true);
    expect(back.rows).toEqual(rows.slice(2).map((record) => ({ ok: true, record })));
    expect((await stat(path.join(root, 'keys', SIGNING_KEY_FILE))).mode & 0o777).toBe(0o600);
  });

  it('never overwrites an export', async () => {
    const dir = await fresh();
    await expect(
      exportAudit({ rows, from: FROM, to: TO, store: new LocalObjectStore(dir), signer, now: TO }),
    ).rejects.toMatchObject({ code: 'OBJECT_EXISTS' });
  });

  it('exports and verifies an empty range', async () => {
    const dir = path.join(root, 'empty');
    const { manifest } = await exportAudit({
      rows: [],
      from: FROM,
      to: TO,
      store: new LocalObjectStore(dir),
      signer,
      now: TO,
    });
    expect(manifest).toMatchObject({ rowCount: 0, firstSeq: null, anchorHash: null });
    expect((await verifyExport(dir, signer.publicKeyPem)).ok).toBe(true);
  });

  it('names the seq of one changed byte in the JSONL', async () => {
    const dir = await fresh();
    const bytes = await readFile(jsonlOf(dir));
    const text = bytes.toString('utf8');
    const at = text.indexOf('user-5');
    bytes[at + 5] = '6'.charCodeAt(0);
    await writeFile(jsonlOf(dir), bytes);
    const r = await verifyExport(dir, signer.publicKeyPem);
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ seq: 5, kind: 'changed', file: `${BASE}.jsonl` });
    // The file's hash as read and as signed, so the two can be compared by hand.
    const sha = createHash('sha256').update(bytes).digest('hex');
    const signed = (
      JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest
    ).files.find((f) => f.name === `${BASE}.jsonl`)!.sha256;
    expect(r.problems).toContainEqual({
      kind: 'file-hash',
      file: `${BASE}.jsonl`,
      message: `SHA-256 is ${sha}, the manifest says ${signed}`,
    });
  });

  it('names a deleted, an inserted and a reordered row', async () => {
    const cases: [(l: string[]) => string[], number, string][] = [
      [(l) => l.filter((_, i) => i !== 3), 6, 'deleted'],
      [(l) => [...l.slice(0, 4), l[2]!, ...l.slice(4)], 7, 'inserted'],
      [(l) => [l[0]!, l[2]!, l[1]!, ...l.slice(3)], 4, 'reordered'],
    ];
    for (const [edit, seq, kind] of cases) {
      const dir = await fresh();
      await editLines(jsonlOf(dir), edit);
      expect((await verifyExport(dir, signer.publicKeyPem)).firstBad).toMatchObject({ seq, kind });
    }
  });

  it('names the seq of a changed CSV cell', async () => {
    const dir = await fresh();
    const file = path.join(dir, `${BASE}.csv`);
    await writeFile(file, (await readFile(file, 'utf8')).replace('c-8,', 'c-9,'));
    const r = await verifyExport(dir, signer.publicKeyPem);
    expect(r.firstBad).toMatchObject({ seq: 8, kind: 'changed', file: `${BASE}.csv` });
  });

  it('rejects a changed manifest, a manifest re-signed by another key, and a missing file', async () => {
    const dir = await fresh();
    const mFile = path.join(dir, 'manifest.json');
    const original = await readFile(mFile, 'utf8');
    const m = JSON.parse(original) as Manifest;
    await writeFile(mFile, JSON.stringify({ ...m, rowCount: 7 }));
    const edited = await verifyExport(dir, signer.publicKeyPem);
    expect(edited.ok).toBe(false);
    expect(edited.problems).toContainEqual(expect.objectContaining({ kind: 'signature' }));

    const other = await LocalSigner.open(path.join(root, 'other-keys'));
    await writeFile(mFile, original);
    const r = await verifyExport(dir, other.publicKeyPem);
    expect(r.problems).toEqual([
      expect.objectContaining({
        kind: 'signature',
        message: expect.stringContaining('not by the given key'),
      }),
    ]);

    await rm(path.join(dir, `${BASE}.csv`));
    expect((await verifyExport(dir, signer.publicKeyPem)).problems).toEqual([
      expect.objectContaining({ kind: 'file-missing', file: `${BASE}.csv` }),
    ]);
  });

  it('rejects a signature value that was changed', async () => {
    const dir = await fresh();
    const mFile = path.join(dir, 'manifest.json');
    const m = JSON.parse(await readFile(mFile, 'utf8')) as Manifest;
    const sig = Buffer.from(m.signature.value, 'base64');
    sig[0] = sig[0]! ^ 1;
    await writeFile(
      mFile,
      JSON.stringify({ ...m, signature: { ...m.signature, value: sig.toString('base64') } }),
    );
    const r = await verifyExport(dir, signer.publicKeyPem);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      {
        kind: 'signature',
        file: 'manifest.json',
        message:
          'the signature does not match the manifest (the manifest was changed or re-signed)',
      },
    ]);
  });

  it('reports a folder without a manifest, and refuses a key that is not one', async () => {
    const r = await verifyExport(path.join(root, 'nowhere'), signer.publicKeyPem);
    expect(r).toMatchObject({ ok: false, problems: [{ kind: 'manifest' }] });
    const rsa = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
    const refused = await verifyExport(root, rsa.toString('base64')).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: 'KEY_FILE_INVALID',
      message: 'the public key is not a PEM public key',
    });
    // The parser's own error stays as the cause (what was wrong with the text).
    expect((refused as Error).cause).toHaveProperty('message', expect.any(String));
  });

  it.each([
    [
      'a byte changed',
      (r: typeof rows) => r.map((x) => (x.seq === 5 ? { ...x, subject: 'c-X' } : x)),
      5,
    ],
    ['a row deleted', (r: typeof rows) => r.filter((x) => x.seq !== 6), 6],
    [
      'a row rewritten with a fresh hash',
      (r: typeof rows) =>
        r.map((x) =>
          x.seq === 7
            ? { ...x, subject: 'c-X', hash: chainHash(x.prevHash, { ...x, subject: 'c-X' }) }
            : x,
        ),
      7,
    ],
  ])(
    'signs nothing when the stored rows are not one chain (%s): AUDIT_CHAIN_BROKEN, first bad seq',
    async (_what, tamper, seq) => {
      const dir = path.join(root, `tampered-${seq}`);
      await expect(
        exportAudit({
          rows: tamper(rows),
          from: FROM,
          to: TO,
          store: new LocalObjectStore(dir),
          signer,
          now: TO,
        }),
      ).rejects.toMatchObject({
        code: 'AUDIT_CHAIN_BROKEN',
        message: expect.stringContaining(`first bad seq ${seq}`),
      });
      await expect(readdir(dir)).rejects.toThrow();
    },
  );
  it('selects by wall time and carries both times: rows replaying 2019, recorded in the range', async () => {
    const dir = await fresh();
    expect(rows.every((r) => r.ts < FROM && r.wallTs >= FROM && r.wallTs < TO)).toBe(true);
    const line = (await readFile(jsonlOf(dir), 'utf8')).split('\n')[0]!;
    expect(JSON.parse(line)).toMatchObject({
      seq: 3,
      ts: rows[2]!.ts,
      wall_ts: rows[2]!.wallTs,
      hash_version: 2,
    });
    const text = await readFile(path.join(dir, `${BASE}.csv`), 'utf8');
    expect(text.split('\r\n')[0]).toBe(
      '\uFEFFseq,ts,time,wall_ts,wall_time,actor,role,action,subject,payload,hash_version,prev_hash,hash',
    );
    expect(text).toContain(
      `3,${rows[2]!.ts},2019-01-01T00:03:00.000Z,${rows[2]!.wallTs},2024-01-01T00:03:00.000Z,`,
    );
    // A row recorded outside the range (its wall time) is reported even with the chain intact.
    const late = auditChain(3).map((r) => ({ ...r }));
    const outDir = path.join(root, 'outside');
    await exportAudit({
      rows: late,
      from: FROM,
      to: late[2]!.wallTs,
      store: new LocalObjectStore(outDir),
      signer,
      now: TO,
    });
    expect((await verifyExport(outDir, signer.publicKeyPem)).problems).toContainEqual(
      expect.objectContaining({
        kind: 'format',
        seq: 3,
        message: expect.stringContaining('outside'),
      }),
    );
    // And one recorded before it: the first row, a millisecond before `from`.
    const earlyDir = path.join(root, 'before');
    await exportAudit({
      rows: late,
      from: late[0]!.wallTs + 1,
      to: TO,
      store: new LocalObjectStore(earlyDir),
      signer,
      now: TO,
    });
    const early = await verifyExport(earlyDir, signer.publicKeyPem);
    const range = '2024-01-01T00:01:00.001Z…2024-01-02T00:00:00.000Z';
    // Reported in each file, JSONL and CSV.
    expect(
      early.problems
        .filter((p) => p.kind === 'format')
        .map((p) => [path.extname(p.file ?? ''), p.seq, p.message]),
    ).toEqual([
      ['.jsonl', 1, `seq 1 lies outside ${range}`],
      ['.csv', 1, `seq 1 lies outside ${range}`],
    ]);
  });

  it('fails an export whose wall time was changed, in the JSONL or the CSV, naming the seq', async () => {
    const dir = await fresh();
    const moved = rows[5]!.wallTs;
    await editLines(jsonlOf(dir), (l) =>
      l.map((x) => x.replace(`"wall_ts":${moved}`, `"wall_ts":${moved - 3_600_000}`)),
    );
    const r = await verifyExport(dir, signer.publicKeyPem);
    expect(r.ok).toBe(false);
    expect(r.firstBad).toMatchObject({ seq: 6, kind: 'changed', file: `${BASE}.jsonl` });

    const csvDir = await fresh();
    const file = path.join(csvDir, `${BASE}.csv`);
    const iso = (ms: number) => new Date(ms).toISOString();
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace(
        `${moved},${iso(moved)}`,
        `${moved - 3_600_000},${iso(moved - 3_600_000)}`,
      ),
    );
    const c = await verifyExport(csvDir, signer.publicKeyPem);
    expect(c.firstBad).toMatchObject({ seq: 6, kind: 'changed', file: `${BASE}.csv` });
  });

  it('exports rows of both hash versions on one chain, and fails a version 1 row given another wall time', async () => {
    // The log after migration 0008: three version 1 rows (wall time = ts), then version 2 rows.
    const old = auditChain(3, { hashVersion: 1 }).map((r) => ({ ...r, wallTs: r.ts }));
    let prev = old[2]!.hash;
    const mixed: AuditRecord[] = [...old];
    for (const r of auditChain(6).slice(3)) {
      const fields = { ...r, ts: r.ts + 1, wallTs: r.wallTs };
      const hash = chainHash(prev, fields);
      mixed.push({ ...fields, prevHash: prev, hash });
      prev = hash;
    }
    const dir = path.join(root, 'mixed');
    await exportAudit({
      rows: mixed,
      from: Date.UTC(2019, 0, 1),
      to: TO,
      store: new LocalObjectStore(dir),
      signer,
      now: TO,
    });
    expect(await verifyExport(dir, signer.publicKeyPem)).toMatchObject({ ok: true });
    const file = path.join(dir, 'audit-20190101T000000Z-20240102T000000Z.jsonl');
    const lines = (await readFile(file, 'utf8')).split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ hash_version: 1, wall_ts: old[0]!.ts });
    expect(JSON.parse(lines[3]!)).toMatchObject({ hash_version: 2 });
    await writeFile(file, lines.join('\n').replace(`"wall_ts":${old[1]!.ts}`, '"wall_ts":1'));
    expect((await verifyExport(dir, signer.publicKeyPem)).firstBad).toMatchObject({
      seq: 2,
      kind: 'changed',
      detail: 'seq 2 is a version 1 row, so its wall_ts must equal its ts',
    });
  });

  it('still verifies an export made before the wall time (version 1), and names a changed byte in it', async () => {
    const fixture = path.join(ROOT, 'test/fixtures/audit-export-v1');
    const pem = await readFile(path.join(fixture, 'public-key.pem'), 'utf8');
    const good = await verifyExport(fixture, pem);
    expect(good).toMatchObject({ ok: true, problems: [], manifest: { version: 1, rowCount: 5 } });
    const copy = path.join(root, 'v1-copy');
    await cp(fixture, copy, { recursive: true });
    const csvFile = path.join(copy, 'audit-20240101T000000Z-20240102T000000Z.csv');
    await writeFile(csvFile, (await readFile(csvFile, 'utf8')).replace('c-4,', 'c-7,'));
    const bad = await verifyExport(copy, pem);
    expect(bad.firstBad).toMatchObject({ seq: 4, kind: 'changed' });
  });
});
