import { sql } from 'kysely';
import { MAX_ROW_BYTES, MAX_TIME_MS } from '../../../src/security/audit/audit-record.js';
import { MAX_JSON_DEPTH, type JsonValue } from '../../../src/security/audit/canonical.js';
import { GENESIS_HASH } from '../../../src/security/audit/chain.js';
import { csv } from '../../../src/security/audit/csv-format.js';
import { firstBreak } from '../../../src/security/audit/first-break.js';
import { jsonl } from '../../../src/security/audit/jsonl-format.js';
import { MAX_LINE_BYTES } from '../../../src/security/audit/scan-file.js';
import { AuditRepository } from '../../../src/store/audit-repository.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

const entry = (i: number) => ({
  ts: 1_000 + i,
  actor: `user-${i % 5}`,
  role: 'trader',
  action: 'order.submitted',
  subject: `c-${i}`,
  payload: { i, qty: '0.1', nested: { b: [1, 2], a: null } },
});

/** A wall clock that steps back 10 ms on every other reading (NTP, or two nodes' clocks). */
function jitteryClock(start: number): () => number {
  let reads = 0;
  return () => {
    const n = reads++;
    return start + n - (n % 2) * 10;
  };
}

describe.each(DIALECTS)('audit repository on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  let audit: AuditRepository;
  const WALL = Date.UTC(2026, 11, 3);
  beforeAll(async () => {
    store = await freshStore(dialect);
    audit = new AuditRepository(store.db, jitteryClock(WALL));
  });
  afterAll(async () => {
    await store.drop();
  });

  it('keeps one gapless chain under concurrent appends', async () => {
    const first = await audit.append(entry(0));
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, payload: entry(0).payload });
    const n = 60;
    const made = await Promise.all(Array.from({ length: n }, (_, i) => audit.append(entry(i + 1))));
    expect(new Set(made.map((r) => r.seq)).size).toBe(n);
    const rows = await audit.list(0, Number.MAX_SAFE_INTEGER);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: n + 1 }, (_, i) => i + 1));
    const check = firstBreak(
      rows.map((record) => ({ ok: true, record })),
      { firstSeq: 1, anchorHash: GENESIS_HASH, count: n + 1, lastHash: rows.at(-1)!.hash },
    );
    expect(check).toBeNull();
    // Wall time never goes back along seq, though the clock does and appends finish out of
    // stamp order; each row keeps the time its entry was stamped with.
    for (let i = 1; i < rows.length; i++)
      expect(rows[i]!.wallTs).toBeGreaterThanOrEqual(rows[i - 1]!.wallTs);
    for (const r of rows) {
      expect(r.ts).toBe(1_000 + (r.payload as { i: number }).i);
      expect(r.hashVersion).toBe(2);
    }
    expect(await audit.last()).toEqual(rows.at(-1));
  });

  it('writes in the caller’s transaction: a rollback leaves no row and no gap', async () => {
    const before = (await audit.last())!;
    await expect(
      store.db.transaction().execute(async (tx) => {
        await tx
          .insertInto('risk_limits')
          .values({
            scope: 'GLOBAL',
            scope_id: '',
            name: 'maxPosition',
            value: '5',
            updated_at: 1,
            updated_by: 'rita',
          })
          .execute();
        await audit.append({ ...entry(100), action: 'risk.limit_changed' }, tx);
        throw new Error('the change fails after its audit row');
      }),
    ).rejects.toThrow('the change fails');
    expect(await audit.last()).toEqual(before);
    expect(await store.db.selectFrom('risk_limits').selectAll().execute()).toEqual([]);
    // And an audit row that cannot be written takes the change down with it (fail closed).
    await expect(
      store.db.transaction().execute(async (tx) => {
        await tx
          .insertInto('risk_limits')
          .values({
            scope: 'GLOBAL',
            scope_id: '',
            name: 'maxPosition',
            value: '5',
            updated_at: 1,
            updated_by: 'rita',
          })
          .execute();
        await audit.append({ ...entry(101), actor: ' ' }, tx);
      }),
    ).rejects.toMatchObject({
      code: 'AUDIT_ENTRY_INVALID',
      message: expect.stringContaining('actor'),
    });
    expect(await store.db.selectFrom('risk_limits').selectAll().execute()).toEqual([]);
    const next = await audit.append(entry(102));
    expect(next).toMatchObject({ seq: before.seq + 1, prevHash: before.hash });
  });

  it('refuses UPDATE, DELETE and TRUNCATE of the log', async () => {
    // Row 2 as it was (the concurrent appends above decide whose it is).
    const before = (await audit.list(0, Number.MAX_SAFE_INTEGER))[1]!;
    expect(before.actor).not.toBe('mallory');
    await expect(
      sql`update audit_log set actor = 'mallory' where seq = 2`.execute(store.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log where seq = 2`.execute(store.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`truncate audit_log`.execute(store.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_head`.execute(store.db)).rejects.toThrow(/append-only/);
    expect((await audit.list(0, Number.MAX_SAFE_INTEGER))[1]).toEqual(before);
  });

  it('lists a range of wall time in seq order and refuses payloads JSON cannot carry', async () => {
    const all = await audit.list(0, Number.MAX_SAFE_INTEGER);
    const [from, to] = [all[10]!.wallTs, all.at(-1)!.wallTs];
    const inRange = all.filter((r) => r.wallTs >= from && r.wallTs < to);
    expect(inRange.length).toBeGreaterThan(0);
    expect(inRange.length).toBeLessThan(all.length);
    expect(await audit.list(from, to)).toEqual(inRange);
    // The entries' own stamps (1 000…) are not what a range selects.
    expect(await audit.list(1_010, 1_020)).toEqual([]);
    expect(await audit.list(5_000, 6_000)).toEqual([]);
    await expect(audit.append({ ...entry(1), payload: { bad: Number.NaN } })).rejects.toMatchObject(
      {
        code: 'AUDIT_ENTRY_INVALID',
        message: expect.stringContaining('payload.bad'),
      },
    );
  });

  it('keeps a replayed run’s market time as stamped, beside the wall time of the append', async () => {
    const before = (await audit.last())!;
    const wall = Date.UTC(2026, 11, 4, 9);
    const replay = new AuditRepository(store.db, () => wall);
    const [a, b] = await replay.appendMany([
      { ...entry(200), ts: Date.UTC(2019, 0, 1, 0, 5) },
      { ...entry(201), ts: Date.UTC(2019, 0, 1, 0, 1) },
    ]);
    // Market time is kept as stamped, even going back; the wall time is the append's.
    expect([a!.ts, b!.ts]).toEqual([Date.UTC(2019, 0, 1, 0, 5), Date.UTC(2019, 0, 1, 0, 1)]);
    expect([a!.wallTs, b!.wallTs]).toEqual([wall, wall]);
    expect(await audit.list(wall, wall + 1)).toEqual([a, b]);
    expect(await audit.list(Date.UTC(2019, 0, 1), Date.UTC(2019, 0, 2))).toEqual([]);
    // A wall clock that reads no time is our own wiring's fault: nothing is written.
    await expect(
      new AuditRepository(store.db, () => Number.NaN).append(entry(202)),
    ).rejects.toMatchObject({
      code: 'AUDIT_ENTRY_INVALID',
      message: expect.stringContaining('wall clock'),
    });
    expect((await audit.last())!.seq).toBe(before.seq + 2);
  });
  it('refuses a time no date holds and a payload nested deeper than an export line holds', async () => {
    // The CSV export writes each time as an ISO date; JSONL lines stay within MAX_JSON_DEPTH.
    await expect(audit.append({ ...entry(301), ts: MAX_TIME_MS + 1 })).rejects.toMatchObject({
      code: 'AUDIT_ENTRY_INVALID',
      message: `audit entry ts: must be at most ${MAX_TIME_MS} (ms)`,
    });
    const nested = (levels: number): JsonValue =>
      JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`) as JsonValue;
    await expect(
      audit.append({ ...entry(302), payload: nested(MAX_JSON_DEPTH) }),
    ).rejects.toMatchObject({
      code: 'AUDIT_ENTRY_INVALID',
      message: `payload${'[0]'.repeat(MAX_JSON_DEPTH - 1)}: nested deeper than ${MAX_JSON_DEPTH} arrays and objects`,
    });
    // The latest time and the deepest payload are kept, and read back as an export line.
    const kept = await audit.append({
      ...entry(303),
      ts: MAX_TIME_MS,
      payload: nested(MAX_JSON_DEPTH - 1),
    });
    expect(jsonl.read(jsonl.write([kept]))).toEqual([{ ok: true, record: kept }]);
    expect(csv.read(csv.write([kept])).rows).toEqual([{ ok: true, record: kept }]);
  });

  it('refuses a row longer than an export line the verifier reads, and keeps one at the limit', async () => {
    // The worst case for the CSV: a payload of quotes, escaped in JSON and doubled in the CSV.
    const base = entry(304);
    const texts = [base.actor, base.role, base.action, base.subject];
    const fixed = texts.reduce((n, t) => n + JSON.stringify(t).length, 0) + '{"q":""}'.length;
    const payload = (bytes: number) => {
      const room = bytes - fixed;
      return { q: '"'.repeat(Math.floor(room / 2)) + 'a'.repeat(room % 2) };
    };
    await expect(
      audit.append({ ...base, payload: payload(MAX_ROW_BYTES + 1) }),
    ).rejects.toMatchObject({
      code: 'AUDIT_ENTRY_INVALID',
      message: `audit entry payload: the row's text and payload take ${MAX_ROW_BYTES + 1} bytes, more than ${MAX_ROW_BYTES} (an export line the verifier reads)`,
    });
    const kept = await audit.append({ ...base, payload: payload(MAX_ROW_BYTES) });
    for (const text of [jsonl.write([kept]), csv.write([kept])]) {
      expect(Math.max(...text.split('\n').map((l) => Buffer.byteLength(l)))).toBeLessThan(
        MAX_LINE_BYTES,
      );
    }
    expect(csv.read(csv.write([kept])).rows).toEqual([{ ok: true, record: kept }]);
  });
});
