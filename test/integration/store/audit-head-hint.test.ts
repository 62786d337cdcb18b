import { sql } from 'kysely';
import { GENESIS_HASH } from '../../../src/security/audit/chain.js';
import { firstBreak } from '../../../src/security/audit/first-break.js';
import {
  AuditRepository,
  HEAD_HELD_IDLE_MS,
  type AuditHeadHint,
} from '../../../src/store/audit-repository.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

const entry = (i: number) => ({
  ts: 5_000 + i,
  actor: `user-${i % 3}`,
  role: 'trader',
  action: 'order.submitted',
  subject: `c-${i}`,
  payload: { i, qty: '0.25' },
});

/**
 * An append that trusts the head its process wrote last (one statement, conditional on that head)
 * must keep the one gapless chain whatever other writers did meanwhile: writers of other
 * instances (each with its own hint), a transaction rolled back after its append, a hint that
 * names a head that was never committed.
 */
describe.each(DIALECTS)('audit appends from a head hint on %s', (dialect) => {
  // One store for the file's tests: each reads the rows it appended after the head it found (`base`),
  // and checks the whole chain, every test's rows in it, from the genesis.
  let store: Awaited<ReturnType<typeof freshStore>>;
  let base = 0;
  beforeAll(async () => {
    store = await freshStore(dialect);
  });
  afterAll(async () => {
    await store?.drop();
  });
  beforeEach(async () => {
    const head = await store.db.selectFrom('audit_head').select('seq').executeTakeFirstOrThrow();
    base = Number(head.seq);
  });
  const hint = (): AuditHeadHint => ({ value: null });
  /** The rows appended by this test (the whole chain checked). */
  const chainOf = async () => {
    const all = await new AuditRepository(store.db).list(0, Number.MAX_SAFE_INTEGER);
    const broken = firstBreak(
      all.map((record) => ({ ok: true, record })),
      { firstSeq: 1, anchorHash: GENESIS_HASH, count: all.length, lastHash: all.at(-1)!.hash },
    );
    return { rows: all.filter((r) => r.seq > base), broken };
  };

  it('writers of several instances, each with its own hint, interleave into one chain', async () => {
    const writers = Array.from(
      { length: 4 },
      () => new AuditRepository(store.db, Date.now, hint()),
    );
    let n = 0;
    await Promise.all(
      writers.map(async (w, k) => {
        for (let round = 0; round < 15; round++) {
          // Every third append is a batch in one transaction, as an order journal commit is.
          if ((round + k) % 3 === 0) {
            const batch = [entry(n++), entry(n++), entry(n++)];
            await store.db.transaction().execute((tx) => w.appendMany(batch, tx));
          } else await w.append(entry(n++));
        }
      }),
    );
    const { rows, broken } = await chainOf();
    expect(broken).toBeNull();
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: n }, (_, i) => base + i + 1));
    expect(new Set(rows.map((r) => r.subject)).size).toBe(n);
    for (let i = 1; i < rows.length; i++)
      expect(rows[i]!.wallTs).toBeGreaterThanOrEqual(rows[i - 1]!.wallTs);
    // Each writer's hint is the head it wrote last, which is in the chain.
    for (const w of writers) {
      const h = (w as unknown as { head: AuditHeadHint }).head.value!;
      expect(rows[h.seq - base - 1]!.hash).toBe(h.hash);
    }
  });

  it('a transaction rolled back after its append leaves the hint ahead of the chain, never a gap or a fork', async () => {
    const h = hint();
    const w = new AuditRepository(store.db, Date.now, h);
    await w.append(entry(0));
    await w.append(entry(1)); // from the hint
    const committed = h.value!;
    await expect(
      store.db.transaction().execute(async (tx) => {
        await w.appendMany([entry(2), entry(3)], tx);
        throw new Error('the change this entry records failed');
      }),
    ).rejects.toThrow('failed');
    // The hint names the head of the rolled-back rows, which no one can link to.
    expect(h.value).toMatchObject({ seq: committed.seq + 2 });
    await w.append(entry(4));
    // Another writer moves the head; this one's hint is then stale and it reads the head again.
    await new AuditRepository(store.db).append(entry(5));
    await w.append(entry(6));
    const { rows, broken } = await chainOf();
    expect(broken).toBeNull();
    expect(rows.map((r) => r.subject)).toEqual(['c-0', 'c-1', 'c-4', 'c-5', 'c-6']);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5].map((i) => base + i));
  });

  it('more entries than one statement takes go the locked path, still one chain', async () => {
    const h = hint();
    const w = new AuditRepository(store.db, Date.now, h);
    await w.append(entry(0));
    await w.appendMany(Array.from({ length: 1_200 }, (_, i) => entry(i + 1)));
    await w.append(entry(1_201));
    const { rows, broken } = await chainOf();
    expect(broken).toBeNull();
    expect(rows).toHaveLength(1_202);
    expect(h.value).toMatchObject({ seq: base + 1_202, hash: rows.at(-1)!.hash });
  });

  if (dialect === 'postgres')
    it.each([
      ['conditional (the head known)', () => hint()],
      ['locked (no head known)', () => undefined],
    ])(
      'a writer paused after its %s append holds the head only briefly: the server ends its session',
      async (_, headOf) => {
        const idleSetting = async (tx: typeof store.db) =>
          (
            await sql<{ t: string }>`
              select current_setting('idle_in_transaction_session_timeout') as t`.execute(tx)
          ).rows[0]!.t;
        // By default the head's lock may idle for HEAD_HELD_IDLE_MS.
        const byDefault = new AuditRepository(store.db, Date.now, headOf());
        await byDefault.append(entry(0));
        await store.db.transaction().execute(async (tx) => {
          await byDefault.append(entry(1), tx);
          expect(await idleSetting(tx)).toBe(`${HEAD_HELD_IDLE_MS / 1000}s`);
        });
        // The paused writer's limit is shorter, so the other writer waits 1 s, not 2 s (shorter
        // would risk the server ending the session between the paused writer's own statements
        // on a loaded machine).
        const paused = new AuditRepository(store.db, Date.now, headOf(), 1_000);
        await paused.append(entry(2));
        let release!: () => void;
        const resumed = new Promise<void>((r) => (release = r));
        let appended!: () => void;
        const holding = new Promise<void>((r) => (appended = r));
        const pausedTx = store.db.transaction().execute(async (tx) => {
          await paused.append(entry(3), tx);
          expect(await idleSetting(tx)).toBe('1s');
          appended();
          await resumed; // idle in its transaction, the head's row locked
        });
        await holding;
        // Another instance appends: it waits for the lock until the server ends the paused session.
        const other = await new AuditRepository(store.db).append(entry(4));
        release();
        await expect(pausedTx).rejects.toThrow();
        const { rows, broken } = await chainOf();
        expect(broken).toBeNull();
        expect(rows.map((r) => r.subject)).toEqual(['c-0', 'c-1', 'c-2', 'c-4']);
        expect(other.seq).toBe(base + 4);
      },
    );
});
