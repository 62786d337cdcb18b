import { readFileSync, rmSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { LocalObjectStore } from '../../src/cloud/local-object-store.js';
import { exportAudit } from '../../src/security/audit/export.js';
import { LocalSigner } from '../../src/security/audit/local-signer.js';
import { MANIFEST_FILE } from '../../src/security/audit/manifest.js';
import {
  MAX_FILE_BYTES,
  MAX_LINE_BYTES,
  MAX_MANIFEST_BYTES,
} from '../../src/security/audit/verify.js';
import { auditChain } from '../unit/security/audit/audit-chain.js';
import { ROOT, runCli } from '../support/run-cli.js';

// `kairos audit verify` on files an attacker made, in a process whose heap holds 256 MB and whose
// peak resident memory is measured: a file read whole (or one line gathered whole) would not fit
// (a large string read from a file lives outside the heap, so the peak is asserted too). Sparse
// files (truncate) cost no disk.

/** The most a verification may hold at its peak (kB): the CLI alone takes about 60 MB. */
const MAX_RSS_KB = 200 * 1024;
const PRELOAD = path.join(ROOT, 'test/support/max-rss.mjs');
const BASE = 'audit-20240101T000000Z-20240102T000000Z';
const JSONL = `${BASE}.jsonl`;
const CSV = `${BASE}.csv`;
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

describe('kairos audit verify in bounded memory', () => {
  let root: string;
  let good: string;
  let pub: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kairos-verify-limits-'));
    good = path.join(root, 'good');
    const signer = await LocalSigner.open(path.join(root, 'keys'));
    pub = path.join(root, 'signer.pub');
    await writeFile(pub, signer.publicKeyPem);
    await exportAudit({
      rows: auditChain(10).slice(2),
      from: Date.UTC(2024, 0, 1),
      to: Date.UTC(2024, 0, 2),
      store: new LocalObjectStore(good),
      signer,
      now: Date.UTC(2024, 0, 2),
    });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** A copy of the good export to tamper with. */
  async function copy(name: string): Promise<string> {
    const dir = path.join(root, name);
    await cp(good, dir, { recursive: true });
    return dir;
  }
  /** `kairos audit verify` in 256 MB of heap; its peak memory must stay under the bound. */
  function verify(dir: string) {
    const rssFile = path.join(root, 'max-rss');
    rmSync(rssFile, { force: true });
    const r = runCli(['audit', 'verify', dir, '--public-key', pub], {
      NODE_OPTIONS: `--max-old-space-size=256 --import=${PRELOAD}`,
      MAX_RSS_FILE: rssFile,
    });
    expect(Number(readFileSync(rssFile, 'utf8'))).toBeLessThan(MAX_RSS_KB);
    return r;
  }
  /** The output of a verification that failed, as a verdict: exit 1 and nothing on stderr. */
  function failed(dir: string): string {
    const r = verify(dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    return r.stdout;
  }

  it('verifies the untouched export', () => {
    const r = verify(good);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^OK: signature valid/m);
  });

  it('refuses a 3 GiB data file by its size, unread, naming the file and the limit', async () => {
    const dir = await copy('huge-file');
    await truncate(path.join(dir, CSV), 3 * GiB);
    const out = failed(dir);
    expect(out).toContain(
      `  - format [${CSV}]: ${3 * GiB} bytes: larger than the ${MAX_FILE_BYTES} bytes the verifier reads (not read)`,
    );
    // The JSONL beside it still verifies: the only problem is the CSV's.
    expect(out.match(/^ {2}- /gm)).toHaveLength(1);
  });

  it('streams a 300 MB file holding one line past the limit: names the line and the rule', async () => {
    const dir = await copy('long-line');
    const file = path.join(dir, JSONL);
    // The 8 rows, then 300 MB of zero bytes and no line end: a line longer than the heap.
    await truncate(file, 300 * MiB);
    const out = failed(dir);
    expect(out).toContain(`  - file-hash [${JSONL}]: SHA-256 is `);
    expect(out).toContain(
      `[${JSONL}] seq 11: line 9: longer than ${MAX_LINE_BYTES} bytes, the longest the verifier reads`,
    );
  });

  it('refuses a manifest larger than a manifest may be, unread', async () => {
    const dir = await copy('huge-manifest');
    await truncate(path.join(dir, MANIFEST_FILE), 1.5 * GiB);
    const out = failed(dir);
    expect(out).toContain(
      `  - manifest [${MANIFEST_FILE}]: ${1.5 * GiB} bytes: larger than the ${MAX_MANIFEST_BYTES} bytes a manifest may hold (not read)`,
    );
  });

  it('answers a verdict (exit 1, FAILED and the problems) for any mutated export, never a crash', async () => {
    const mutation = fc.record({
      file: fc.constantFrom(JSONL, CSV, MANIFEST_FILE),
      op: fc.constantFrom('truncate', 'swap', 'flip', 'huge'),
      at: fc.nat(),
      other: fc.nat(),
    });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const dir = await copy(`mutated-${n++}`);
        const file = path.join(dir, m.file);
        const bytes = await readFile(file);
        const at = m.at % bytes.length;
        if (m.op === 'truncate') await truncate(file, at);
        if (m.op === 'flip') {
          bytes[at]! ^= 1 << (m.other % 8);
          await writeFile(file, bytes);
        }
        if (m.op === 'swap') {
          const lines = bytes.toString('latin1').split('\n');
          const [i, j] = [at % lines.length, m.other % lines.length];
          fc.pre(lines[i] !== lines[j]);
          [lines[i], lines[j]] = [lines[j]!, lines[i]!];
          await writeFile(file, Buffer.from(lines.join('\n'), 'latin1'));
        }
        // A run of bytes past the longest line, from `at` on (sparse: zeros).
        if (m.op === 'huge') await truncate(file, at + 64 * MiB);
        const r = verify(dir);
        expect(r.stderr).toBe('');
        if (m.file === MANIFEST_FILE && r.code === 0) {
          // Swapped lines of the pretty-printed manifest can leave the same JSON.
          expect(r.stdout).toMatch(/^OK: /m);
        } else {
          expect(r.code).toBe(1);
          expect(r.stdout).toMatch(/^FAILED.*\n( {2}- \S+ \[[^\]]+\].*\n)+$/m);
        }
        await rm(dir, { recursive: true, force: true });
      }),
      { numRuns: 12, seed: 20261207 },
    );
  });
});
