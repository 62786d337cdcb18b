import type { Kysely } from 'kysely';
import type {
  StrategySnapshot,
  StrategySnapshotStore,
} from '../trading/live/strategy-snapshot-store.js';
import type { JsonObject } from '../trading/strategy/strategy-context.js';
import type { Schema } from './schema.js';

/**
 * Strategy snapshots in `strategy_snapshots` (one row per saved bar time), with the strategy's
 * row in `strategies` made on first save.
 *
 * @example
 * const snaps = new StrategySnapshotRepository(store.db);
 * await snaps.save('sma', 'sma-cross', { ts, ordersMade, state });
 */
export class StrategySnapshotRepository implements StrategySnapshotStore {
  constructor(private readonly db: Kysely<Schema>) {}

  async latest(strategyId: string): Promise<StrategySnapshot | null> {
    const r = await this.db
      .selectFrom('strategy_snapshots')
      .selectAll()
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
    };
  }

  async save(strategyId: string, name: string, s: StrategySnapshot): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('strategies')
        .values({
          id: strategyId,
          name,
          code_sha256: '',
          params: JSON.stringify({}),
          created_at: s.ts,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      await tx
        .insertInto('strategy_snapshots')
        .values({
          strategy_id: strategyId,
          seq: s.ts,
          ts: s.ts,
          orders_made: s.ordersMade,
          state: JSON.stringify(s.state),
          random_state: s.random ? JSON.stringify(s.random) : null,
        })
        .onConflict((oc) =>
          oc.columns(['strategy_id', 'seq']).doUpdateSet({
            orders_made: s.ordersMade,
            state: JSON.stringify(s.state),
            random_state: s.random ? JSON.stringify(s.random) : null,
          }),
        )
        .execute();
    });
  }
}
