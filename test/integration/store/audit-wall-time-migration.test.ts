import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, Migrator, sql } from 'kysely';
import pg from 'pg';
import { GENESIS_HASH } from '../../../src/security/audit/chain.js';
import { firstBreak } from '../../../src/security/audit/first-break.js';
import { LocalSigner } from '../../../src/security/audit/local-signer.js';
import { verifyExport } from '../../../src/security/audit/verify.js';
import { AuditRepository } from '../../../src/store/audit-repository.js';
import { migrations } from '../../../src/store/migrations/index.js';
import { migrate } from '../../../src/store/open-store.js';
import { OneSchemaDialect } from '../../../src/store/one-schema-dialect.js';
import { pglitePool } from '../../../src/store/pglite-pool.js';
import type { Schema } from '../../../src/store/schema.js';
import { exportAuditRange } from '../../../src/system/audit-export.js';
import { TEST_DATABASE_URL } from '../../support/postgres.js';
import { DIALECTS, STORE_ROOT } from '../../support/stores.js';

/** A database migrated only up to 0007 (the log before the wall time), and how to drop it. */
async function storeAt0007(
  dialect: (typeof DIALECTS)[number],
): Promise<{ db: Kysely<Schema>; schema?: string; drop(): Promise<void> }> {
  let db: Kysely<Schema>;
  let schema: string | undefined;
  let folder: string | undefined;
  if (dialect === 'pglite') {
    // initdb in WebAssembly is ~2 s of CPU: a copy of the tests' template data folder (initdb
    // done) with its public schema made empty again, as initdb leaves it, costs a third of that.
    const template = process.env.KAIROS_PGLITE_TEMPLATE;
    if (template) {
      folder = await mkdtemp(path.join(STORE_ROOT, 'kairos-mig-0007-'));
      await cp(template, path.join(folder, 'db'), { recursive: true });
    }
    const lite = await PGlite.create({
      ...(folder ? { dataDir: path.join(folder, 'db') } : {}),
      parsers: { 20: (v: string) => v },
    });
    if (folder) await lite.exec('drop schema public cascade; create schema public');
    db = new Kysely<Schema>({ dialect: new OneSchemaDialect({ pool: pglitePool(lite) }) });
  } else {
    schema = `kairos_mig_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    const pool = new pg.Pool({
      connectionString: TEST_DATABASE_URL,
      options: `-c search_path=${schema}`,
    });
    // Introspection of its own schema only: another worker's schema dropped meanwhile is no error.
    db = new Kysely<Schema>({ dialect: new OneSchemaDialect({ pool }) });
  }
  const migrator = new Migrator({
    db,
    provider: migrations,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error } = await migrator.migrateTo('0007-owner-keys');
  if (error) throw error;
  return {
    db,
    ...(schema ? { schema } : {}),
    drop: async () => {
      await db.destroy();
      if (folder) await rm(folder, { recursive: true, force: true });
      if (!schema) return;
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    },
  };
}

/** Rows as the log wrote them before 0008: hashed over the old canonical form, by hand here. */
async function writeOldRows(db: Kysely<Schema>, stamps: readonly number[]): Promise<string> {
  let prev = GENESIS_HASH;
  for (const [i, ts] of stamps.entries()) {
    const seq = i + 1;
    const payload = `{"n":${seq}}`;
    const canonical =
      `{"action":"order.submitted","actor":"old-${seq}","payload":${payload},` +
      `"role":"trader","seq":${seq},"subject":"c-${seq}","ts":${ts}}`;
    const hash = createHash('sha256')
      .update(prev + canonical)
      .digest('hex');
    await sql`insert into audit_log (seq, ts, actor, role, action, subject, payload, prev_hash, hash)
      values (${seq}, ${ts}, ${`old-${seq}`}, 'trader', 'order.submitted', ${`c-${seq}`},
        ${payload}, ${prev}, ${hash})`.execute(db);
    prev = hash;
  }
  await sql`update audit_head set seq = ${stamps.length}, ts = ${stamps.at(-1)!}, hash = ${prev}`.execute(
    db,
  );
  return prev;
}

describe.each(DIALECTS)('migration 0008 (audit wall time) on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof storeAt0007>>;
  let dir: string;
  // Rows of a 2019 replay, then a login, written before the upgrade.
  const stamps = [Date.UTC(2019, 0, 1, 0, 1), Date.UTC(2019, 0, 1, 0, 2), Date.UTC(2026, 0, 5)];
  const today = Date.UTC(2026, 11, 3, 12);
  beforeAll(async () => {
    store = await storeAt0007(dialect);
    dir = await mkdtemp(path.join(os.tmpdir(), 'kairos-mig-0008-'));
  });
  afterAll(async () => {
    await store.drop();
    await rm(dir, { recursive: true, force: true });
  });
  /** `kairos audit export` of everything recorded until today, into `dir/<name>`. */
  const exportAll = (name: string, pageRows?: number) =>
    exportAuditRange(store.db, {
      from: 0,
      to: today + 1,
      out: path.join(dir, name),
      keysDir: path.join(dir, 'keys'),
      by: { actor: 'ann', role: 'auditor' },
      now: () => today,
      ...(pageRows === undefined ? {} : { pageRows }),
    });

  it('gives old rows their ts as wall time, keeps them verifiable, and chains new rows after them', async () => {
    const lastOld = await writeOldRows(store.db, stamps);
    // Every migration from 0008 on, in order (a later migration joins the list by itself).
    const since0008 = Object.keys(await migrations.getMigrations()).filter(
      (name) => name >= '0008',
    );
    expect(since0008[0]).toBe('0008-audit-wall-time');
    expect(await migrate(store.db, store.schema)).toEqual(since0008);

    const audit = new AuditRepository(store.db, () => today);
    const old = await audit.list(0, Number.MAX_SAFE_INTEGER);
    expect(old.map((r) => [r.ts, r.wallTs, r.hashVersion])).toEqual(
      stamps.map((ts) => [ts, ts, 1]),
    );
    // An old range still finds its rows: their wall time is their ts.
    expect((await audit.list(Date.UTC(2019, 0, 1), Date.UTC(2019, 0, 2))).length).toBe(2);

    const added = await audit.append({
      ts: Date.UTC(2019, 0, 1, 0, 3),
      actor: 'paper',
      role: 'strategy',
      action: 'order.submitted',
      subject: 'c-4',
    });
    expect(added).toMatchObject({ seq: 4, prevHash: lastOld, wallTs: today, hashVersion: 2 });
    const all = await audit.list(0, Number.MAX_SAFE_INTEGER);
    expect(
      firstBreak(
        all.map((record) => ({ ok: true, record })),
        { firstSeq: 1, anchorHash: GENESIS_HASH, count: 4, lastHash: added.hash },
      ),
    ).toBeNull();

    // Exported and verified offline, both versions together.
    const { out, manifest } = await exportAll('all');
    expect(manifest).toMatchObject({ rowCount: 4, firstSeq: 1, lastSeq: 4 });
    const signer = await LocalSigner.open(path.join(dir, 'keys'));
    expect(await verifyExport(out, signer.publicKeyPem)).toMatchObject({ ok: true });
    const jsonl = (await readdir(out)).find((f) => f.endsWith('.jsonl'))!;
    const lines = (await readFile(path.join(out, jsonl), 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { hash_version: number }).hash_version)).toEqual([
      1, 1, 1, 2,
    ]);
    // Read from the store two rows at a time: the same rows (and the first export's own row).
    const paged = await exportAll('paged', 2);
    expect(paged.manifest).toMatchObject({ rowCount: 5, firstSeq: 1, lastSeq: 5 });
    expect(await verifyExport(paged.out, signer.publicKeyPem)).toMatchObject({ ok: true });
    const again = (await readFile(path.join(paged.out, jsonl), 'utf8')).trim().split('\n');
    expect(again.slice(0, 4)).toEqual(lines);
    expect(JSON.parse(again[4]!)).toMatchObject({ action: 'audit.exported', subject: out });
  });

  it('refuses a version 1 row whose wall time is not its ts', async () => {
    const last = (await new AuditRepository(store.db).last())!;
    await expect(
      sql`insert into audit_log (seq, ts, wall_ts, hash_version, actor, role, action, subject,
        payload, prev_hash, hash) values (${last.seq + 1}, 5, 6, 1, 'x', 'r', 'a', '', '{}',
        ${last.hash}, ${'a'.repeat(64)})`.execute(store.db),
    ).rejects.toThrow(/audit_log_hash_version/);
  });

  it('signs nothing when a wall time was changed in the database', async () => {
    // Tampering outside Kairos: the append-only trigger switched off by a database owner.
    await sql`alter table audit_log disable trigger audit_log_no_change`.execute(store.db);
    await sql`update audit_log set wall_ts = wall_ts - 3600000 where seq = 4`.execute(store.db);
    await sql`alter table audit_log enable trigger audit_log_no_change`.execute(store.db);
    await expect(exportAll('tampered')).rejects.toMatchObject({
      code: 'AUDIT_CHAIN_BROKEN',
      message: expect.stringContaining('first bad seq 4 (changed)'),
    });
  });
});
