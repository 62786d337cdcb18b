import fc from 'fast-check';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AuditRecord } from '../../../../src/security/audit/audit-record.js';
import { bodyBytes, type ExportStore } from '../../../../src/security/audit/export-store.js';
import { exportAudit } from '../../../../src/security/audit/export.js';
import { LocalSigner } from '../../../../src/security/audit/local-signer.js';
import { auditChain } from './audit-chain.js';

const FROM = Date.UTC(2024, 0, 1);
const TO = Date.UTC(2024, 0, 2);

/** `rows` cut into pages at `cuts` (indexes), as the store's keyset pages come. */
async function* paged(rows: readonly AuditRecord[], cuts: readonly number[]) {
  let at = 0;
  for (const cut of [...cuts, rows.length]) {
    yield rows.slice(at, cut);
    at = cut;
  }
}

describe('audit export page by page', () => {
  let root: string;
  let signer: LocalSigner;
  const rows = auditChain(40);

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kairos-audit-pages-'));
    signer = await LocalSigner.open(path.join(root, 'keys'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** The stored objects of an export (text by key), and what it left in its spool folder. */
  const exported = async (input: Parameters<typeof exportAudit>[0]['rows']) => {
    const files = new Map<string, string>();
    const store: ExportStore = {
      put: async (key, body) => void files.set(key, Buffer.from(await bodyBytes(body)).toString()),
    };
    const spool = await mkdtemp(path.join(root, 'spool-'));
    await exportAudit({ rows: input, from: FROM, to: TO, store, signer, now: TO, spool });
    return { files, left: await readdir(spool) };
  };

  it('writes the same bytes and manifest whatever the pages, and leaves nothing spooled (property)', async () => {
    const whole = await exported(rows);
    expect(JSON.parse(whole.files.get('manifest.json')!)).toMatchObject({ rowCount: 40 });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 6 }),
        async (cuts) => {
          const got = await exported(
            paged(
              rows,
              [...cuts].sort((a, b) => a - b),
            ),
          );
          expect(got.files).toEqual(whole.files);
          expect(got.left).toEqual([]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('a chain broken in a later page stores nothing at all', async () => {
    const changed = rows.map((r) => (r.seq === 33 ? { ...r, subject: 'edited' } : r));
    const puts: string[] = [];
    const store: ExportStore = { put: async (key) => void puts.push(key) };
    await expect(
      exportAudit({
        rows: paged(changed, [10, 20, 30]),
        from: FROM,
        to: TO,
        store,
        signer,
        now: TO,
      }),
    ).rejects.toMatchObject({
      code: 'AUDIT_CHAIN_BROKEN',
      message: expect.stringMatching(/^first bad seq 33 \(changed\)/),
    });
    expect(puts).toEqual([]);
  });
});
