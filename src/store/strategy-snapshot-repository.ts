import { fencedTransaction, type Fence } from './lease-repository.js';
import { isDeepStrictEqual } from 'node:util';
import { sql, type Kysely, type Transaction } from 'kysely';
import { KairosError } from '../trading/core/errors.js';
import type {
  StrategySnapshot,
  StrategySnapshotStore,
} from '../trading/live/strategy-snapshot-store.js';
import type { JsonObject } from '../trading/strategy/strategy-context.js';
import type { Schema } from './schema.js';

/**
 * One account's strategy snapshots in `strategy_snapshots` (one row per saved bar time, keyed by
 * account, strategy and time), with the strategy's row in `strategies` made on first save. A run
 * is (account, strategy): another account's snapshot of the same strategy id is never read.
 *
 * @example
 * const snaps = new StrategySnapshotRepository(store.db, 'paper');
 * await snaps.save('sma', 'sma-cross', { ts, ordersMade, state });
 */
export class StrategySnapshotRepository implements StrategySnapshotStore {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly accountId: string,
    /** The account's lease check, run first in every save (`LeaseRepository.fence`). */
    private readonly fence?: Fence,
  ) {}

  /** (strategy id, name) pairs this repository has already made or checked in `strategies`. */
  readonly #owned = new Set<string>();

  async latest(strategyId: string): Promise<StrategySnapshot | null> {
    const r = await this.db
      .selectFrom('strategy_snapshots')
      .selectAll()
      .where('account_id', '=', this.accountId)
      .where('strategy_id', '=', strategyId)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!r) return null;
    const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);
    const state = json(r.state) as JsonObject;
    const random = json(r.random_state) as readonly number[] | null;
    return {
      ts: Number(r.ts),
      ordersMade: Number(r.orders_made),
      state,
      ...(random && { random }),
      ...(r.events_through !== null && { eventsThrough: Number(r.events_through) }),
    };
  }

  /** The time of the first snapshot of `strategyId` on this account (null: none). */
  async first(strategyId: string): Promise<number | null> {
    const r = await this.db
      .selectFrom('strategy_snapshots')
      .select('ts')
      .where('account_id', '=', this.accountId)
      .where('strategy_id', '=', strategyId)
      .orderBy('seq', 'asc')
      .limit(1)
      .executeTakeFirst();
    return r ? Number(r.ts) : null;
  }

  /** The accounts other than this one with snapshots of `strategyId` (a clash to refuse). */
  async otherAccounts(strategyId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('strategy_snapshots')
      .select('account_id')
      .distinct()
      .where('strategy_id', '=', strategyId)
      .where('account_id', '<>', this.accountId)
      .execute();
    return rows.map((r) => r.account_id);
  }

  /**
   * The largest `order_events.seq` committed (0: none), one index read. Read by a node before it
   * writes anything: this account's events are all committed then (it is their one writer), so
   * every one it writes later has a greater place. Not a cut while the account writes: another
   * account's event may hold a smaller `seq` not committed yet, and so may this account's.
   */
  async eventsStored(): Promise<number> {
    const r = await sql<{
      seq: string | number;
    }>`select coalesce(max(seq), 0) as seq from order_events`.execute(this.db);
    return Number(r.rows[0]!.seq);
  }

  async save(strategyId: string, name: string, s: StrategySnapshot): Promise<void> {
    const owner = `${strategyId}\n${name}`;
    const known = this.#owned.has(owner);
    if (known && !this.fence && !this.db.isTransaction) {
      // The strategy's row checked and no lease to check: the insert alone, committed on its own
      // (one round trip a bar instead of BEGIN, INSERT, COMMIT). A snapshot stored under the key
      // is never changed, so a read after the refused insert sees what the insert met.
      const inserted = await this.#insert(this.db, strategyId, s);
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0)
        await this.#sameAsStored(this.db, strategyId, s);
      return;
    }
    await fencedTransaction(this.db, this.fence, async (tx) => {
      // Once this repository has seen the id belong to this strategy, every later save skips the
      // check (one snapshot is saved per bar).
      if (!known) await this.#claim(tx, strategyId, name, s.ts);
      const inserted = await this.#insert(tx, strategyId, s);
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0)
        await this.#sameAsStored(tx, strategyId, s);
    });
    this.#owned.add(owner);
  }

  /** Inserts the snapshot unless one is stored under its key (then nothing). */
  #insert(db: Kysely<Schema>, strategyId: string, s: StrategySnapshot) {
    return db
      .insertInto('strategy_snapshots')
      .values({
        account_id: this.accountId,
        strategy_id: strategyId,
        seq: s.ts,
        ts: s.ts,
        orders_made: s.ordersMade,
        state: JSON.stringify(s.state),
        random_state: s.random ? JSON.stringify(s.random) : null,
        // What the strategy had heard, as the node says (null: it cannot tell).
        events_through: s.eventsThrough ?? null,
      })
      .onConflict((oc) => oc.columns(['account_id', 'strategy_id', 'seq']).doNothing())
      .executeTakeFirst();
  }

  /**
   * A snapshot already stored under (account, strategy, time): the same one saved again (a
   * retried save) is kept as it is; a different one is `SNAPSHOT_CONFLICT` (DESIGN invariant 13),
   * never a silent skip or overwrite. The transaction then stores nothing.
   */
  async #sameAsStored(db: Kysely<Schema>, strategyId: string, s: StrategySnapshot) {
    const stored = await db
      .selectFrom('strategy_snapshots')
      .select(['orders_made', 'state', 'random_state', 'events_through'])
      .where('account_id', '=', this.accountId)
      .where('strategy_id', '=', strategyId)
      .where('seq', '=', s.ts)
      .executeTakeFirstOrThrow();
    // As stored (jsonb: its own key order, numbers as JSON reads them back): compared as values.
    const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);
    const diffs = [
      Number(stored.orders_made) !== s.ordersMade &&
        `ordersMade ${String(stored.orders_made)} stored, ${s.ordersMade} now`,
      !isDeepStrictEqual(json(stored.state), JSON.parse(JSON.stringify(s.state))) && 'state',
      !isDeepStrictEqual(
        json(stored.random_state),
        s.random ? JSON.parse(JSON.stringify(s.random)) : null,
      ) && 'random state',
      // What the strategy had heard: a restart replays the events after it, so another value is
      // another snapshot even with the same state.
      (stored.events_through === null ? null : Number(stored.events_through)) !==
        (s.eventsThrough ?? null) &&
        `eventsThrough ${String(stored.events_through)} stored, ${String(s.eventsThrough ?? null)} now`,
    ].filter((d): d is string => d !== false);
    if (diffs.length > 0)
      throw new KairosError(
        'SNAPSHOT_CONFLICT',
        `strategy "${strategyId}" of account "${this.accountId}": a different snapshot is stored for ${s.ts} (${diffs.join(', ')} differ)`,
      );
  }

  /** Makes the strategy's row, or checks that the id is taken by this same strategy. */
  async #claim(tx: Transaction<Schema>, strategyId: string, name: string, ts: number) {
    const inserted = await tx
      .insertInto('strategies')
      .values({
        id: strategyId,
        name,
        code_sha256: '',
        params: JSON.stringify({}),
        created_at: ts,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
      // The id is taken: only by the same strategy (a resumed run), never by another one.
      const row = await tx
        .selectFrom('strategies')
        .select('name')
        .where('id', '=', strategyId)
        .executeTakeFirstOrThrow();
      if (row.name !== name) {
        throw new KairosError(
          'RUN_CLASH',
          `strategy id "${strategyId}" belongs to strategy "${row.name}", not "${name}": give this run another --strategy-id`,
        );
      }
    }
  }
}
