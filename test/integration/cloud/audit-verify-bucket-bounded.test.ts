import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { LocalObjectStore } from '../../../src/cloud/local-object-store.js';
import { sha256Of } from '../../../src/cloud/object-checksum.js';
import { S3ObjectStore } from '../../../src/cloud/s3-object-store.js';
import { LocalSigner } from '../../../src/security/audit/local-signer.js';
import { MANIFEST_FILE } from '../../../src/security/audit/manifest.js';
import {
  MAX_FILE_BYTES,
  MAX_LINE_BYTES,
  MAX_MANIFEST_BYTES,
  verifyExport,
} from '../../../src/security/audit/verify.js';
import { exportSource } from '../../../src/system/object-stores.js';
import {
  EXPORT_CSV as CSV,
  EXPORT_JSONL as JSONL,
  exportInMemory,
} from '../../support/audit-export-fixture.js';
import { startS3, type LocalS3 } from '../../support/s3rver.js';
import { auditChain } from '../../unit/security/audit/audit-chain.js';

// `kairos audit verify s3://…` in bounded memory, against a real S3-compatible server: an object
// is sized by a HEAD before any byte is read (one too large is refused unread, with the verdict
// a folder gives), its bytes are streamed through the same row splitter and hash as a folder's,
// and any export, however mutated, gets the same verdict from the bucket as from a folder.

const BUCKET = 'audit';

type Files = Map<string, Uint8Array>;

describe('verifying an export from a bucket in bounded memory', () => {
  let s3: LocalS3;
  let root: string;
  let signer: LocalSigner;
  let good: Files;
  let n = 0;
  /** GetObject requests sent, by key. */
  const gets: string[] = [];

  beforeAll(async () => {
    s3 = await startS3([BUCKET]);
    root = await mkdtemp(path.join(os.tmpdir(), 'kairos-verify-bucket-'));
    signer = await LocalSigner.open(path.join(root, 'keys'));
    good = await exportInMemory(auditChain(8), signer);
  });
  afterAll(async () => {
    await s3?.close();
    await rm(root, { recursive: true, force: true });
  });

  /** The files written to a new folder and under a new prefix of the bucket. */
  async function place(
    files: Files,
  ): Promise<{ dir: string; prefix: string; store: S3ObjectStore }> {
    const prefix = `exp-${++n}`;
    const dir = path.join(root, prefix);
    await mkdir(dir);
    const store = S3ObjectStore.open(`s3://${BUCKET}/${prefix}`, s3.settings);
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetObjectCommand') {
          gets.push((args.input as { Key: string }).Key);
        }
        return next(args);
      },
      { step: 'initialize', name: 'kairosCountGets' },
    );
    for (const [name, bytes] of files) {
      await writeFile(path.join(dir, name), bytes);
      await store.put(name, bytes);
    }
    return { dir, prefix, store };
  }

  /**
   * Grows (sparse zero bytes) or cuts one file in the folder and the same object in the bucket,
   * in place: the server's HEAD answers the size of its file. With `record`, the object's
   * recorded SHA-256 is set to that of its new bytes, as if it had been put so.
   */
  async function resize(
    at: { dir: string; prefix: string },
    name: string,
    size: number,
    record = false,
  ) {
    const object = s3.objectFile(BUCKET, `${at.prefix}/${name}`);
    await truncate(path.join(at.dir, name), size);
    await truncate(object, size);
    if (!record) return;
    const metaFile = object.replace(/_object$/, '_metadata.json');
    const meta = JSON.parse(await readFile(metaFile, 'utf8')) as Record<string, string>;
    meta['x-amz-meta-sha256'] = await sha256Of({ file: object });
    await writeFile(metaFile, JSON.stringify(meta));
  }

  it('verifies an intact export from the bucket as from the folder', async () => {
    const { dir, store } = await place(good);
    const fromFolder = await verifyExport(dir, signer.publicKeyPem);
    expect(fromFolder.ok).toBe(true);
    expect(await verifyExport(exportSource(store), signer.publicKeyPem)).toEqual(fromFolder);
  });

  it('refuses a data file over the limit unread (no GET), with the verdict of a folder', async () => {
    const placed = await place(good);
    const { dir, prefix, store } = placed;
    await resize(placed, JSONL, MAX_FILE_BYTES + 1);
    const fromFolder = await verifyExport(dir, signer.publicKeyPem);
    expect(fromFolder.problems).toContainEqual({
      kind: 'format',
      file: JSONL,
      message: `${MAX_FILE_BYTES + 1} bytes: larger than the ${MAX_FILE_BYTES} bytes the verifier reads (not read)`,
    });
    gets.length = 0;
    expect(await verifyExport(exportSource(store), signer.publicKeyPem)).toEqual(fromFolder);
    expect(gets).not.toContain(`${prefix}/${JSONL}`);
    expect(gets).toContain(`${prefix}/${CSV}`);
  });

  it('refuses a manifest over the limit unread (no GET), with the verdict of a folder', async () => {
    const placed = await place(good);
    const { dir, store } = placed;
    await resize(placed, MANIFEST_FILE, MAX_MANIFEST_BYTES + 1);
    const fromFolder = await verifyExport(dir, signer.publicKeyPem);
    expect(fromFolder.problems).toEqual([
      {
        kind: 'manifest',
        file: MANIFEST_FILE,
        message: `${MAX_MANIFEST_BYTES + 1} bytes: larger than the ${MAX_MANIFEST_BYTES} bytes a manifest may hold (not read)`,
      },
    ]);
    gets.length = 0;
    expect(await verifyExport(exportSource(store), signer.publicKeyPem)).toEqual(fromFolder);
    expect(gets).toEqual([]);
  });

  it('gives a mutated export the same verdict from the bucket, the folder and a folder store', async () => {
    const edit = fc.record({
      file: fc.constantFrom(JSONL, CSV, MANIFEST_FILE),
      at: fc.nat(),
      cut: fc.nat(40),
      put: fc.oneof(
        fc.uint8Array({ maxLength: 20 }),
        fc
          .constantFrom('\n', '\r\n', '"', '","', '{"seq":1}\n', '\uFEFF')
          .map((t) => Buffer.from(t, 'utf8')),
      ),
    });
    await fc.assert(
      fc.asyncProperty(edit, async (e) => {
        const before = good.get(e.file)!;
        const at = e.at % (before.length + 1);
        const bytes = Buffer.concat([
          before.subarray(0, at),
          e.put,
          before.subarray(Math.min(before.length, at + e.cut)),
        ]);
        const { dir, store } = await place(new Map([...good, [e.file, bytes]]));
        const fromFolder = await verifyExport(dir, signer.publicKeyPem);
        expect(await verifyExport(exportSource(store), signer.publicKeyPem)).toEqual(fromFolder);
        const folderStore = exportSource(new LocalObjectStore(dir));
        expect(await verifyExport(folderStore, signer.publicKeyPem)).toEqual(fromFolder);
      }),
      { seed: 20261207, numRuns: 12 },
    );
  });

  it('reads an object with a line over the limit a chunk at a time: a bad row, as from a folder, no object held', async () => {
    // A JSONL line of 96 MiB (a sparse run of zero bytes after the real rows): old readers held
    // the object whole.
    const size = 96 * 1024 * 1024;
    const placed = await place(good);
    const { dir, store } = placed;
    await resize(placed, JSONL, size, true);
    const fromFolder = await verifyExport(dir, signer.publicKeyPem);
    expect(fromFolder.problems).toContainEqual(
      expect.objectContaining({
        file: JSONL,
        message: expect.stringContaining(`longer than ${MAX_LINE_BYTES} bytes`),
      }),
    );
    const start = process.memoryUsage().arrayBuffers;
    let peak = start;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }, 2);
    let fromBucket;
    try {
      fromBucket = await verifyExport(exportSource(store), signer.publicKeyPem);
    } finally {
      clearInterval(sampler);
    }
    expect(fromBucket).toEqual(fromFolder);
    expect(peak - start).toBeLessThan(48 * 1024 * 1024);
  });
});
