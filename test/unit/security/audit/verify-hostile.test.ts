import { execFileSync } from 'node:child_process';
import { bodyBytes } from '../../../../src/security/audit/export-store.js';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { chainHash } from '../../../../src/security/audit/chain.js';
import type { ExportSource } from '../../../../src/security/audit/export-store.js';
import { exportAudit } from '../../../../src/security/audit/export.js';
import { LocalSigner } from '../../../../src/security/audit/local-signer.js';
import {
  MANIFEST_FILE,
  signedBytes,
  type Manifest,
} from '../../../../src/security/audit/manifest.js';
import {
  MAX_LINE_BYTES,
  MAX_MANIFEST_BYTES,
  verifyExport,
  type VerifyReport,
} from '../../../../src/security/audit/verify.js';
import { wholeObjects } from '../../../support/export-source.js';
import { hot } from '../../../support/hot-expect.js';
import { auditChain } from './audit-chain.js';

// The offline verifier is a tool an auditor runs on files an attacker may have made: whatever
// the files hold, it answers a verdict (ok, or the problems, naming the first bad seq and the
// rule) and never throws or hangs. Each export here lives in memory (an `ExportSource`), so a
// property can try hundreds of them.

const FROM = Date.UTC(2024, 0, 1);
const TO = Date.UTC(2024, 0, 2);
const BASE = 'audit-20240101T000000Z-20240102T000000Z';
const JSONL = `${BASE}.jsonl`;
const CSV = `${BASE}.csv`;
const KINDS = [
  'manifest',
  'signature',
  'file-missing',
  'file-hash',
  'format',
  'changed',
  'deleted',
  'inserted',
  'reordered',
];

type Files = Map<string, Uint8Array>;
const source = (files: Files): ExportSource =>
  wholeObjects('memory:', async (name) => files.get(name) ?? null);
const bytesOf = (text: string) => new TextEncoder().encode(text);
const textOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

/** A verdict is whole: a known kind and a message for each problem, ok exactly without any. */
function expectWellFormed(r: VerifyReport): void {
  // Checked plainly first, Jest's expect (its message the failure) only when one fails: the
  // properties below check thousands of verdicts.
  if (wellFormed(r)) return;
  expect(r.ok).toBe(r.problems.length === 0);
  for (const p of r.problems) {
    expect(KINDS).toContain(p.kind);
    expect(typeof p.message).toBe('string');
  }
  if (r.firstBad) {
    expect(Number.isSafeInteger(r.firstBad.seq)).toBe(true);
    expect(r.problems).toContainEqual(
      expect.objectContaining({
        kind: r.firstBad.kind,
        file: r.firstBad.file,
        seq: r.firstBad.seq,
      }),
    );
  }
}

function wellFormed(r: VerifyReport): boolean {
  if (r.ok !== (r.problems.length === 0)) return false;
  if (!r.problems.every((p) => KINDS.includes(p.kind) && typeof p.message === 'string'))
    return false;
  if (!r.firstBad) return true;
  const { seq, kind, file } = r.firstBad;
  return (
    Number.isSafeInteger(seq) &&
    r.problems.some((p) => p.kind === kind && p.file === file && p.seq === seq)
  );
}

describe('the offline verifier on hostile exports', () => {
  let root: string;
  let signer: LocalSigner;
  /** Rows 3…10 of a chain (anchored on row 2): the export every case starts from. */
  const rows = auditChain(10).slice(2);
  const good: Files = new Map();
  let manifest: Manifest;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kairos-audit-hostile-'));
    signer = await LocalSigner.open(path.join(root, 'keys'));
    ({ manifest } = await exportAudit({
      rows,
      from: FROM,
      to: TO,
      store: { put: async (key, bytes) => void good.set(key, await bodyBytes(bytes)) },
      signer,
      now: TO,
    }));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const verdict = (files: Files) => verifyExport(source(files), signer.publicKeyPem);
  const withFile = (name: string, bytes: Uint8Array): Files => new Map([...good, [name, bytes]]);
  /** The export with `manifest.json` replaced by `text`. */
  const withManifestText = (text: string) => withFile(MANIFEST_FILE, bytesOf(text));
  async function signed(m: object): Promise<string> {
    const value = await signer.sign(signedBytes(m as Manifest));
    return JSON.stringify({
      ...m,
      signature: { ...manifest.signature, value: Buffer.from(value).toString('base64') },
    });
  }

  it('verifies the untouched export', async () => {
    expect(await verdict(good)).toMatchObject({ ok: true, problems: [] });
  });

  /** One edit of a file's bytes: a byte set, bytes deleted or inserted, the file cut short. */
  const edit = fc.oneof(
    fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.nat(255) }),
    fc.record({
      op: fc.constant('delete' as const),
      at: fc.nat(),
      n: fc.integer({ min: 1, max: 40 }),
    }),
    fc.record({
      op: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 20 }),
        fc
          .constantFrom(
            '\n',
            '\r\n',
            '"',
            ',',
            '{}\n',
            'null\n',
            '[1]\n',
            '\uFEFF',
            '\u0000',
            '\uD800',
            '\u202E',
            '=cmd|x',
            `${'['.repeat(5000)}${']'.repeat(5000)}`,
            '{"seq":1e999}\n',
            `${'x'.repeat(100_000)}\n`,
          )
          .map(bytesOf),
      ),
    }),
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  );
  type Edit = typeof edit extends fc.Arbitrary<infer E> ? E : never;
  function apply(bytes: Uint8Array, e: Edit): Uint8Array {
    const at = e.at % (bytes.length + 1);
    const b = Buffer.from(bytes);
    switch (e.op) {
      case 'set': {
        const out = Buffer.from(b);
        if (at < out.length) out[at] = e.byte;
        return out;
      }
      case 'delete':
        return Buffer.concat([b.subarray(0, at), b.subarray(at + e.n)]);
      case 'insert':
        return Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
      case 'truncate':
        return b.subarray(0, at);
    }
  }
  /** The lines of a JSONL text as the verifier splits them. */
  const linesOf = (text: string) => {
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines;
  };

  it('names the first line that differs for any edit of the JSONL bytes, and fails the file hash', async () => {
    const original = linesOf(textOf(good.get(JSONL)!));
    await fc.assert(
      fc.asyncProperty(edit, async (e) => {
        const bytes = apply(good.get(JSONL)!, e);
        fc.pre(!Buffer.from(bytes).equals(Buffer.from(good.get(JSONL)!)));
        const r = await verdict(withFile(JSONL, bytes));
        expectWellFormed(r);
        expect(r.ok).toBe(false);
        expect(r.problems).toContainEqual(
          expect.objectContaining({ kind: 'file-hash', file: JSONL }),
        );
        const lines = linesOf(textOf(bytes));
        const differs = lines.findIndex((l, i) => l !== original[i]);
        const first = differs >= 0 ? differs : lines.length < original.length ? lines.length : -1;
        if (first < 0) {
          // The same lines (only the last line end taken away): the rows are intact.
          expect(r.firstBad).toBeNull();
        } else {
          expect(r.firstBad).toMatchObject({ file: JSONL, seq: rows[0]!.seq + first });
        }
      }),
      { numRuns: 150 },
    );
  });

  it('answers a verdict for any edit of the CSV bytes, no earlier than the first record touched', async () => {
    const text = textOf(good.get(CSV)!);
    // Where each record (the header first) ends, its CRLF included.
    const ends: number[] = [];
    for (let i = text.indexOf('\r\n'); i >= 0; i = text.indexOf('\r\n', i + 2)) {
      // A CRLF inside a quoted field (an odd number of quotes before it) ends no record.
      if ((text.slice(0, i).match(/"/g)?.length ?? 0) % 2 === 0) ends.push(i + 2);
    }
    expect(ends).toHaveLength(rows.length + 1);
    await fc.assert(
      fc.asyncProperty(edit, async (e) => {
        const before = good.get(CSV)!;
        const bytes = apply(before, e);
        fc.pre(!Buffer.from(bytes).equals(Buffer.from(before)));
        const r = await verdict(withFile(CSV, bytes));
        expectWellFormed(r);
        expect(r.ok).toBe(false);
        expect(r.problems).toContainEqual(
          expect.objectContaining({ kind: 'file-hash', file: CSV }),
        );
        // The byte offset (in UTF-8) of the first change, and the records wholly before it.
        const firstChange = Buffer.from(bytes).findIndex((b, i) => b !== before[i]);
        const changedAt = firstChange >= 0 ? firstChange : bytes.length;
        const charAt = textOf(before.subarray(0, changedAt)).length;
        const intact = ends.filter((end) => end <= charAt).length - 1; // less the header
        const csvBreak = r.problems.find(
          (p) => p.file === CSV && ['changed', 'deleted', 'inserted', 'reordered'].includes(p.kind),
        );
        if (csvBreak) {
          expect(csvBreak.seq).toBeGreaterThanOrEqual(rows[0]!.seq + Math.max(intact, 0));
          expect(csvBreak.seq).toBeLessThanOrEqual(rows.at(-1)!.seq + 1);
        }
      }),
      { numRuns: 150 },
    );
  });

  /** JSON text for a manifest field: any JSON, and values crafted against a verifier. */
  /** JSON text crafted against a verifier: what String() or JSON.stringify cannot print, numbers
   * JSON.parse reads as Infinity or -0, unsafe integers, times no date holds, hostile strings,
   * deep nesting. */
  const HOSTILE: readonly string[] = [
    '{"toString":1}',
    '{"toString":1,"valueOf":1}',
    '{"__proto__":{"polluted":true}}',
    '1e999',
    '-1e999',
    '-0',
    '-1',
    '1.5',
    '9007199254740993',
    '8640000000000001',
    '""',
    '"../manifest.json"',
    '"\\ud800"',
    '"\\u0000"',
    '[]',
    `${'['.repeat(1000)}${']'.repeat(1000)}`,
    `"${'x'.repeat(20_000)}"`,
  ];
  /** JSON text for a manifest field: any JSON, or one of `HOSTILE`. */
  const hostileJson = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.constantFrom(...HOSTILE),
  );
  const KEYS = [...Object.keys(manifestKeys()), 'extra', '__proto__'];
  function manifestKeys() {
    return {
      format: 0,
      version: 0,
      from: 0,
      to: 0,
      fromMs: 0,
      toMs: 0,
      rangeOf: 0,
      rowCount: 0,
      firstSeq: 0,
      lastSeq: 0,
      anchorHash: 0,
      firstHash: 0,
      lastHash: 0,
      firstTs: 0,
      lastTs: 0,
      firstWallTs: 0,
      lastWallTs: 0,
      chain: 0,
      files: 0,
      createdAt: 0,
      signature: 0,
    };
  }
  const FILE_KEYS = ['name', 'sha256', 'bytes', 'versionId'] as const;
  const SIGNATURE_KEYS = ['algorithm', 'keyId', 'value'] as const;
  /** Where a hostile value goes: a top-level key, a field of a file entry or of the signature. */
  const place = fc.oneof(
    fc.record({ at: fc.constant('top' as const), key: fc.constantFrom(...KEYS) }),
    fc.record({
      at: fc.constant('file' as const),
      index: fc.nat(3),
      key: fc.constantFrom(...FILE_KEYS),
    }),
    fc.record({
      at: fc.constant('signature' as const),
      key: fc.constantFrom(...SIGNATURE_KEYS),
    }),
  );
  const PLACEHOLDER = '"\u0001hostile\u0001"';
  type Place = typeof place extends fc.Arbitrary<infer P> ? P : never;
  /** The manifest as JSON text with the value at `p` replaced by the raw JSON text `value`. */
  function manifestWith(p: Place, value: string | undefined): string {
    const m = JSON.parse(JSON.stringify(manifest)) as Record<string, unknown>;
    const slot = value === undefined ? undefined : '\u0001hostile\u0001';
    if (p.at === 'top') {
      if (p.key === '__proto__') {
        // An own key named __proto__, as JSON.parse makes it.
        return JSON.stringify(m).replace(/^\{/, `{"__proto__":${value ?? 'null'},`);
      }
      m[p.key] = slot;
    } else if (p.at === 'file') {
      const files = m.files as Record<string, unknown>[];
      files[p.index % files.length]![p.key] = slot;
    } else {
      (m.signature as Record<string, unknown>)[p.key] = slot;
    }
    return JSON.stringify(m).replace(PLACEHOLDER, value ?? 'null');
  }

  /** The manifest with `value` at `p`: a verdict; ok exactly when it is the same manifest. */
  async function expectVerdictOn(p: Place, value: string | undefined): Promise<void> {
    const text = manifestWith(p, value);
    const r = await verdict(withManifestText(text));
    expectWellFormed(r);
    // The same manifest (a field given its own value) verifies; any other does not.
    const same = isDeepStrictEqual(JSON.parse(text), JSON.parse(JSON.stringify(manifest)));
    hot(r.ok).toBe(same);
  }
  /** The same, signed with the right key (past the signature, the rest of the rules). */
  async function expectVerdictSigned(p: Place, value: string): Promise<void> {
    const m = JSON.parse(manifestWith(p, value)) as Record<string, unknown>;
    let text: string;
    try {
      text = await signed(m);
    } catch {
      return; // Nothing a signer could sign (Infinity, nested too deep): refused unsigned.
    }
    expectWellFormed(await verdict(withManifestText(text)));
  }
  const PLACES: Place[] = [
    ...KEYS.map((key) => ({ at: 'top' as const, key })),
    ...FILE_KEYS.map((key) => ({
      at: 'file' as const,
      index: 0,
      key,
    })),
    ...SIGNATURE_KEYS.map((key) => ({ at: 'signature' as const, key })),
  ];

  it('answers a verdict for every manifest field replaced by each hostile value or removed, signed or not', async () => {
    for (const p of PLACES) {
      await expectVerdictOn(p, undefined);
      for (const value of HOSTILE) {
        await expectVerdictOn(p, value);
        await expectVerdictSigned(p, value);
      }
    }
  });

  it('answers a verdict for any manifest field replaced by any JSON, signed or not', async () => {
    await fc.assert(
      fc.asyncProperty(place, hostileJson, fc.boolean(), async (p, value, sign) => {
        await (sign ? expectVerdictSigned(p, value) : expectVerdictOn(p, value));
      }),
      { numRuns: 200 },
    );
  });

  it('answers a verdict for a manifest of random bytes or an edit of its text', async () => {
    const text = textOf(good.get(MANIFEST_FILE)!);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          edit.map((e) => apply(good.get(MANIFEST_FILE)!, e)),
        ),
        async (bytes) => {
          const r = await verdict(withFile(MANIFEST_FILE, bytes));
          expectWellFormed(r);
          let same = false;
          try {
            same = isDeepStrictEqual(JSON.parse(textOf(bytes)), JSON.parse(text));
          } catch {
            // not JSON: not the same manifest
          }
          hot(r.ok).toBe(same);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses a manifest that holds what canonical JSON cannot write: no signer wrote it', async () => {
    const text = textOf(good.get(MANIFEST_FILE)!);
    const infinite = await verdict(withManifestText(text.replace(/^\{/, '{"x":1e999,')));
    expect(infinite.problems).toEqual([
      {
        kind: 'signature',
        file: MANIFEST_FILE,
        message: 'not a manifest a signer wrote: $.x: Infinity is not a JSON number',
      },
    ]);
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const nested = await verdict(withManifestText(text.replace(/^\{/, `{"x":${deep},`)));
    expect(nested.problems).toEqual([
      {
        kind: 'signature',
        file: MANIFEST_FILE,
        message: `not a manifest a signer wrote: $.x${'[0]'.repeat(127)}: nested deeper than 128 arrays and objects`,
      },
    ]);
  });

  it('names the row whose payload is nested too deep, in the JSONL and the CSV, as its rule', async () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const jsonl = textOf(good.get(JSONL)!).replace(/"payload":\{[^}]*\}/, `"payload":${deep}`);
    const r = await verdict(withFile(JSONL, bytesOf(jsonl)));
    expect(r.firstBad).toMatchObject({
      seq: 3,
      kind: 'changed',
      file: JSONL,
      detail: `line 1: $.payload${'[0]'.repeat(127)}: nested deeper than 128 arrays and objects`,
    });
    const csv = textOf(good.get(CSV)!).replace(/"\{""n"":3[^\r]*?\}"/, `"${deep}"`);
    expect(csv).not.toBe(textOf(good.get(CSV)!));
    const c = await verdict(withFile(CSV, bytesOf(csv)));
    expect(c.firstBad).toMatchObject({
      seq: 3,
      kind: 'changed',
      file: CSV,
      detail: `record 1: payload${'[0]'.repeat(127)}: nested deeper than 128 arrays and objects`,
    });
  });

  it('names a CSV row whose time no date holds (it cannot be written as an ISO time)', async () => {
    const csv = textOf(good.get(CSV)!).replace(`\r\n3,${rows[0]!.ts},`, '\r\n3,8640000000000001,');
    const r = await verdict(withFile(CSV, bytesOf(csv)));
    expect(r.firstBad).toMatchObject({
      seq: 3,
      kind: 'changed',
      file: CSV,
      detail: 'record 1: ts: must be at most 8640000000000000 (the last time a date holds)',
    });
  });

  it('names a line or CSV record longer than it reads by its number and the rule, and reads on', async () => {
    const huge = `{"seq":${'9'.repeat(MAX_LINE_BYTES)}}`;
    const jsonlLines = linesOf(textOf(good.get(JSONL)!));
    jsonlLines[1] = huge;
    const r = await verdict(withFile(JSONL, bytesOf(`${jsonlLines.join('\n')}\n`)));
    expectWellFormed(r);
    expect(r.firstBad).toEqual({
      seq: rows[1]!.seq,
      kind: 'changed',
      index: 1,
      file: JSONL,
      detail: `line 2: longer than ${MAX_LINE_BYTES} bytes, the longest the verifier reads`,
    });
    // In the CSV: the record after the header, longer than the limit; the next rows still read
    // (it is an extra row before seq 3, not a changed one).
    const csvText = textOf(good.get(CSV)!);
    const header = csvText.indexOf('\r\n') + 2;
    const withLong = `${csvText.slice(0, header)}${huge}\r\n${csvText.slice(header)}`;
    const c = await verdict(withFile(CSV, bytesOf(withLong)));
    expectWellFormed(c);
    expect(c.firstBad).toMatchObject({ seq: rows[0]!.seq, kind: 'inserted', file: CSV });
    // The header itself too long: not the header.
    const longHeader = await verdict(withFile(CSV, bytesOf(`${huge}\r\n`)));
    expect(longHeader.problems).toContainEqual({
      kind: 'format',
      file: CSV,
      message: 'the header row is not the expected one',
    });
  });

  it('refuses a manifest larger than a manifest may be, without parsing it', async () => {
    const r = await verdict(withManifestText(' '.repeat(MAX_MANIFEST_BYTES + 1)));
    expect(r.problems).toEqual([
      {
        kind: 'manifest',
        file: MANIFEST_FILE,
        message: `${MAX_MANIFEST_BYTES + 1} bytes: larger than the ${MAX_MANIFEST_BYTES} bytes a manifest may hold (not read)`,
      },
    ]);
  });

  /** Whole-export mutations an attacker (or a bad copy) makes. */
  const mutation = fc.oneof(
    fc.record({ op: fc.constant('edit' as const), edit }),
    fc.record({ op: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
    fc.record({
      op: fc.constant('huge' as const),
      at: fc.nat(),
      byte: fc.constantFrom(0, 0x22, 0x7b, 0x61),
    }),
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  );
  type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;
  function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
    const b = Buffer.from(bytes);
    switch (m.op) {
      case 'edit':
        return apply(bytes, m.edit);
      case 'flip': {
        const at = m.at % Math.max(b.length, 1);
        if (at < b.length) b[at]! ^= 1 << m.bit;
        return b;
      }
      case 'swap': {
        const lines = b.toString('latin1').split('\n');
        const [i, j] = [m.a % lines.length, m.b % lines.length];
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        return Buffer.from(lines.join('\n'), 'latin1');
      }
      case 'huge': {
        // A line (or, with a quote, a CSV field) past the limit, with no end of its own.
        const at = m.at % (b.length + 1);
        const long = Buffer.alloc(MAX_LINE_BYTES + 1, m.byte);
        return Buffer.concat([b.subarray(0, at), long, b.subarray(at)]);
      }
    }
  }

  it('answers the same whole verdict from a folder (streamed) as from memory, for any mutated export', async () => {
    const dir = path.join(root, 'mutated');
    const names = [JSONL, CSV, MANIFEST_FILE];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...names),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (name, ms) => {
          const bytes = ms.reduce<Uint8Array>((b, m) => mutate(b, m), good.get(name)!);
          const files = withFile(name, bytes);
          await rm(dir, { recursive: true, force: true });
          await mkdir(dir);
          for (const [n, b] of files) await writeFile(path.join(dir, n), b);
          const fromFolder = await verifyExport(dir, signer.publicKeyPem);
          expectWellFormed(fromFolder);
          expect(fromFolder).toEqual(await verdict(files));
          // A data file is hashed byte for byte (the manifest is signed as canonical JSON).
          if (name !== MANIFEST_FILE && !Buffer.from(bytes).equals(Buffer.from(good.get(name)!)))
            expect(fromFolder.ok).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('fails a valid chain under a forged manifest: rows dropped and the summary rewritten, but not re-signed', async () => {
    // The attacker drops the last two rows from both files and makes the manifest match them.
    const kept = rows.slice(0, -2);
    const forged: Files = new Map(good);
    await exportAudit({
      rows: kept,
      from: FROM,
      to: TO,
      store: { put: async (key, bytes) => void forged.set(key, await bodyBytes(bytes)) },
      signer: await LocalSigner.open(path.join(root, 'attacker-keys')),
      now: TO,
    });
    const theirs = JSON.parse(textOf(forged.get(MANIFEST_FILE)!)) as Manifest;
    // Claiming our key, with their signature or ours over the real manifest.
    for (const value of [theirs.signature.value, manifest.signature.value]) {
      const claimed = { ...theirs, signature: { ...manifest.signature, value } };
      forged.set(MANIFEST_FILE, bytesOf(JSON.stringify(claimed)));
      expect((await verdict(forged)).problems).toEqual([
        {
          kind: 'signature',
          file: MANIFEST_FILE,
          message:
            'the signature does not match the manifest (the manifest was changed or re-signed)',
        },
      ]);
    }
    // Under their own key id: refused as signed by another key.
    forged.set(MANIFEST_FILE, bytesOf(JSON.stringify(theirs)));
    const r = await verdict(forged);
    expect(r.problems).toEqual([
      expect.objectContaining({
        kind: 'signature',
        message: expect.stringContaining('not by the given key'),
      }),
    ]);
    // And a manifest re-signed with our key over the real files fails none of them.
    expect((await verdict(withManifestText(await signed({ ...manifest })))).ok).toBe(true);
  });

  it('fails a chain rewritten with fresh hashes from any row on: the signed last hash tells', async () => {
    // Every hash recomputed from row k on (a consistent forgery): each row is intact in itself
    // and linked, so only the manifest's signed last hash tells, at the last row.
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: rows.length - 1 }), async (k) => {
        const forged = rows.map((r) => ({ ...r }));
        let prev = forged[k]!.prevHash;
        for (let i = k; i < forged.length; i++) {
          const fields = { ...forged[i]!, subject: i === k ? 'c-forged' : forged[i]!.subject };
          const hash = chainHash(prev, fields);
          forged[i] = { ...fields, prevHash: prev, hash };
          prev = hash;
        }
        const files: Files = new Map();
        await exportAudit({
          rows: forged,
          from: FROM,
          to: TO,
          store: { put: async (key, bytes) => void files.set(key, await bodyBytes(bytes)) },
          signer,
          now: TO,
        });
        const r = await verdict(withFile(JSONL, files.get(JSONL)!));
        expectWellFormed(r);
        expect(r.ok).toBe(false);
        expect(r.firstBad).toMatchObject({ file: JSONL, kind: 'changed', seq: rows.at(-1)!.seq });
      }),
      { numRuns: 8 },
    );
  });
  it('reads only regular files from a folder: a FIFO, a directory or a link to a device is reported, never waited on', async () => {
    const dir = path.join(root, 'folder');
    await mkdir(dir);
    for (const [name, bytes] of good) await writeFile(path.join(dir, name), bytes);
    // A FIFO blocks a reader until a writer comes; /dev/zero never ends.
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    await rm(path.join(dir, JSONL));
    await symlink('/dev/zero', path.join(dir, JSONL));
    await rm(path.join(dir, CSV));
    await mkdir(path.join(dir, CSV));
    const r = await verifyExport(dir, signer.publicKeyPem);
    const unreadable = (file: string) => ({
      kind: 'file-missing',
      file,
      message: 'named in the manifest but cannot be read: not a regular file',
    });
    expect(r.problems).toEqual([unreadable(JSONL), unreadable(CSV)]);
    // A data file gone is missing, as before.
    await rm(path.join(dir, JSONL));
    expect((await verifyExport(dir, signer.publicKeyPem)).problems[0]).toEqual({
      kind: 'file-missing',
      file: JSONL,
      message: 'named in the manifest but missing',
    });
    // The manifest itself a FIFO, or absent.
    await rename(path.join(dir, MANIFEST_FILE), path.join(dir, 'manifest.bak'));
    await rename(path.join(dir, 'fifo'), path.join(dir, MANIFEST_FILE));
    expect((await verifyExport(dir, signer.publicKeyPem)).problems).toEqual([
      { kind: 'manifest', file: MANIFEST_FILE, message: 'cannot read: not a regular file' },
    ]);
    await rm(path.join(dir, MANIFEST_FILE));
    expect((await verifyExport(dir, signer.publicKeyPem)).problems).toEqual([
      { kind: 'manifest', file: MANIFEST_FILE, message: 'cannot read: no such object' },
    ]);
    // A folder that cannot be listed into (a file where the folder should be): its own error.
    const notDir = path.join(dir, 'manifest.bak');
    expect((await verifyExport(notDir, signer.publicKeyPem)).problems).toEqual([
      {
        kind: 'manifest',
        file: MANIFEST_FILE,
        message: expect.stringMatching(/^cannot read: ENOTDIR/),
      },
    ]);
  });
});
