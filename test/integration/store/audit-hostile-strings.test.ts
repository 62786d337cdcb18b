import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { GENESIS_HASH } from '../../../src/security/audit/chain.js';
import { canonicalJson, type JsonValue } from '../../../src/security/audit/canonical.js';
import { MAX_EXPORT_MS, exportAudit } from '../../../src/security/audit/export.js';
import { firstBreak } from '../../../src/security/audit/first-break.js';
import { LocalObjectStore } from '../../../src/cloud/local-object-store.js';
import { LocalSigner, PUBLIC_KEY_FILE } from '../../../src/security/audit/local-signer.js';
import { verifyExport } from '../../../src/security/audit/verify.js';
import { AuditRepository, auditHeadOf } from '../../../src/store/audit-repository.js';
import { BINARY_UNIT, binaryString } from '../../support/binary-string.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

/** Any UTF-16 string: NUL, lone surrogates, pairs, controls. */
const hostile = binaryString({ maxLength: 12 });
const hostileText = fc.oneof(
  hostile,
  fc.constantFrom('\ud800', 'a\u0000b', '\udfff\ud800', '\ud83d\ude00', '\u0000'),
);
const payload: fc.Arbitrary<JsonValue> = fc.jsonValue({
  maxDepth: 3,
  stringUnit: BINARY_UNIT,
}) as fc.Arbitrary<JsonValue>;
const entry = fc.record({
  ts: fc.integer({ min: 0, max: 2_000_000_000_000 }),
  actor: hostileText.map((s) => `a${s}`),
  role: hostileText.map((s) => `r${s}`),
  action: hostileText.map((s) => `x${s}`),
  subject: hostileText,
  payload: fc.oneof(
    payload,
    hostileText.map((s) => ({ [s]: s }) as JsonValue),
  ),
});

describe.each(DIALECTS)('audit chain with hostile strings in every field, on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  let audit: AuditRepository;
  /** Knows the head it wrote last: its appends are one conditional statement (`unnest` arrays). */
  let hinted: AuditRepository;
  let dir: string;
  beforeAll(async () => {
    store = await freshStore(dialect);
    audit = new AuditRepository(store.db);
    hinted = new AuditRepository(store.db, Date.now, auditHeadOf(store.db));
    dir = await mkdtemp(path.join(os.tmpdir(), 'kairos-audit-hostile-'));
  });
  afterAll(async () => {
    await store.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores exactly what it hashed: the read-back chain verifies, and so does an export of it', async () => {
    // The payload text each record was hashed with, by seq.
    const hashed = new Map<number, string>();
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 5 }), async (batch) => {
        const written = await audit.appendMany(batch);
        // The first after the unhinted batch finds its head moved (the locked path); the rest
        // are conditional statements.
        for (const e of batch) written.push(await hinted.append(e));
        expect(written).toHaveLength(2 * batch.length);
        for (const r of written) hashed.set(r.seq, canonicalJson(r.payload));
      }),
      { numRuns: 40, seed: 11 },
    );
    // The stored text is that text byte for byte, not only JSON that parses to the same value.
    const stored = await store.db.selectFrom('audit_log').select(['seq', 'payload']).execute();
    expect(stored.length).toBeGreaterThan(0);
    for (const { seq, payload } of stored) expect(payload).toBe(hashed.get(Number(seq)));
    const rows = await audit.list(0, Number.MAX_SAFE_INTEGER);
    expect(rows.length).toBeGreaterThan(40);
    const check = firstBreak(
      rows.map((record) => ({ ok: true as const, record })),
      { firstSeq: 1, anchorHash: GENESIS_HASH, count: rows.length, lastHash: rows.at(-1)!.hash },
    );
    expect(check).toBeNull();
    // The files an auditor gets verify too (the text in them is the stored text).
    const keys = path.join(dir, 'keys');
    const out = path.join(dir, 'export');
    await exportAudit({
      rows,
      from: 0,
      to: MAX_EXPORT_MS,
      store: new LocalObjectStore(out),
      signer: await LocalSigner.open(keys),
      now: 1,
    });
    const report = await verifyExport(
      out,
      await readFile(path.join(keys, PUBLIC_KEY_FILE), 'utf8'),
    );
    expect(report.problems ?? []).toEqual([]);
    expect(report.ok).toBe(true);
  }, 120_000);
});
