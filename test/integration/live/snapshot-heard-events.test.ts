import { sql } from 'kysely';
import path from 'node:path';
import pg from 'pg';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import type { Alert } from '../../../src/trading/model/alert.js';
import type { OrderEvent } from '../../../src/trading/model/order-events.js';
import type { StrategySnapshotStore } from '../../../src/trading/live/strategy-snapshot-store.js';
import { TradingNode } from '../../../src/trading/live/trading-node.js';
import { defineStrategy } from '../../../src/trading/strategy/index.js';
import { PaperVenue } from '../../../src/trading/venues/paper/paper-venue.js';
import { btcBars } from '../../support/btc-bars.js';
import { btcInstrument } from '../../support/paper-args.js';
import { TEST_DATABASE_URL } from '../../support/postgres.js';
import { freshStore } from '../../support/stores.js';
import { tempDir } from '../../support/temp-dir.js';
import { until } from '../../support/until.js';

/**
 * A strategy snapshot records the order events its strategy had heard (`eventsThrough`), not the
 * store's latest at its save: a restart shows again exactly those it had not (DESIGN invariant
 * 11). A venue's report can reach the node after it settled a bar and before the bar's snapshot
 * is saved (a live venue's stream does not wait); and another account's write can hold a smaller
 * `seq` than one already committed when the snapshot is saved. Either way the fill stored meanwhile
 * was not in the strategy's saved state: a restart from that snapshot must show it, once.
 */
const heardLog = defineStrategy({
  name: 'heard-log',
  params: {},
  init: () => ({ bars: 0, heard: [] as string[] }),
  onBar(ctx) {
    ctx.state.bars += 1;
    if (ctx.state.bars === 2) ctx.buy('0.01');
  },
  onOrderEvent(ctx, e) {
    ctx.state.heard.push(`${ctx.state.bars} ${e.kind}`);
  },
});

/** Runs when the held report is due: given it, answers what to do after the snapshot is saved. */
type Hold = (
  deliver: () => Promise<void>,
  clientOrderId: string,
) => Promise<(() => Promise<void>) | void>;

/** Thrown at the kill: from then on every store and venue call of the run throws. */
class Killed extends Error {}

describe('a snapshot keeps the place of what its strategy heard', () => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  let bars: Bar[];
  beforeAll(async () => {
    store = await freshStore('postgres');
    bars = await btcBars(8);
  });
  afterAll(async () => {
    await store.drop();
  });

  /**
   * One account's run of `heard-log` on a paper venue, replaying `bars`. With `hold`, the first
   * fill the venue reports is held back and given to the node only when the snapshot after it is
   * saved: `hold` runs then (the report given, before the store's save; what it answers runs
   * after the save), and unless `kill` is false the run is killed right after that save.
   * Answers the run's result and the strategy's last saved state.
   */
  async function run(account: string, venueFile: string, hold?: Hold, kill = true) {
    const repo = new OrderRepository(store.db, account);
    const snaps = new StrategySnapshotRepository(store.db, account);
    let dead = false;
    const killable = <T extends object>(target: T): T =>
      new Proxy(target, {
        get(t, p, r) {
          const v = Reflect.get(t, p, r) as unknown;
          if (typeof v !== 'function') return v;
          return (...args: unknown[]) => {
            if (dead) throw new Killed('killed');
            return (v as (...a: unknown[]) => unknown).apply(t, args);
          };
        },
      });
    let held: OrderEvent | null = null;
    let give: ((e: OrderEvent) => void) | null = null;
    const snapshots: StrategySnapshotStore = {
      latest: (id) => snaps.latest(id),
      eventsStored: () => snaps.eventsStored(),
      save: async (id, name, s) => {
        if (dead) throw new Killed('killed');
        const report = held;
        if (report === null || !hold) return snaps.save(id, name, s);
        held = null;
        // The report reaches the node now: after it settled the bar and took the state.
        const after = await hold(async () => give!(report), report.clientOrderId);
        await snaps.save(id, name, s);
        await after?.();
        if (!kill) return;
        dead = true;
        throw new Killed('killed after the snapshot');
      },
    };
    const alerts: Alert[] = [];
    let holding = hold !== undefined;
    const node = new TradingNode({
      instrument: btcInstrument(),
      strategy: heardLog,
      strategyId: `heard-${account}`,
      accountId: account,
      cash: '100000',
      orders: killable(repo),
      snapshots,
      venue: (deliver) => {
        give = deliver;
        return killable(
          new PaperVenue(venueFile, { venue: 'PAPER', instruments: [btcInstrument()] }, (e) => {
            if (holding && e.kind === 'OrderFilled') {
              holding = false;
              held = e;
            } else deliver(e);
          }),
        );
      },
      onAlert: (a) => alerts.push(a),
      // Only at start and stop: a reconciliation would read the held fill from the venue.
      reconcileIntervalMs: Number.MAX_SAFE_INTEGER,
      ownsTime: true,
      returnFailures: true,
    });
    const result = await node.run(
      (async function* () {
        yield bars;
      })(),
    );
    const state = (await snaps.latest(`heard-${account}`))?.state as { heard: string[] };
    return { result, state, alerts };
  }

  /** The run never killed, the report held the same way. */
  const uninterrupted = (account: string) =>
    run(
      account,
      path.join(tempDir('kairos-heard-'), 'venue.json'),
      async (deliver, id) => {
        await deliver();
        await filled(account, id);
      },
      false,
    );

  /** Waits until the order's fill is stored. */
  const filled = (account: string, clientOrderId: string) =>
    until(
      async () =>
        (await new OrderRepository(store.db, account).events(clientOrderId)).some(
          (e) => e.kind === 'OrderFilled',
        ),
      10_000,
      'the fill stored',
    );

  it('a fill stored after the node settled and before the snapshot is saved is heard once after a restart', async () => {
    const clean = await uninterrupted('ua');
    expect(clean.result.failure).toBeNull();
    expect(clean.state.heard.filter((h) => h.endsWith('OrderFilled'))).toEqual(['3 OrderFilled']);
    const dir = tempDir('kairos-heard-');
    const file = path.join(dir, 'venue.json');
    const first = await run('ca', file, async (deliver, id) => {
      await deliver();
      await filled('ca', id); // committed before the save reads anything
    });
    expect(first.result.failure?.message).toContain('killed after the snapshot');
    const again = await run('ca', file);
    expect(again.result.failure).toBeNull();
    expect(again.alerts.filter((a) => a.code !== 'RECONCILIATION_DRIFT')).toEqual([]);
    // Heard once, where the first run heard it: after the bar it filled in, before the next.
    expect(again.state).toEqual(clean.state);
    expect(again.result.position.toFixed()).toBe(clean.result.position.toFixed());
  }, 60_000);

  it('stored events that do not make their order stop the restarted node with STORED_EVENTS_INVALID before its strategy runs (invariant 12)', async () => {
    const file = path.join(tempDir('kairos-heard-'), 'venue.json');
    let order = '';
    const first = await run('iv', file, async (deliver, id) => {
      order = id;
      await deliver();
      await filled('iv', id);
    });
    expect(first.result.failure?.message).toContain('killed after the snapshot');
    const saved = await new StrategySnapshotRepository(store.db, 'iv').latest('heard-iv');
    // A copy of its fill stored first, among what the strategy had heard: the order as its
    // events make it cannot be (filled before it was sent), our bug or a corrupt store.
    const { rows } = await sql<{ kind: string; ts: string; payload: unknown }>`
      select kind, ts, payload from order_events
      where client_order_id = ${order} and kind = 'OrderFilled'`.execute(store.db);
    expect(rows).toHaveLength(1);
    await sql`insert into order_events (seq, client_order_id, kind, ts, payload)
      values (-1, ${order}, 'OrderFilled', ${rows[0]!.ts}, ${JSON.stringify(rows[0]!.payload)})`.execute(
      store.db,
    );
    const again = await run('iv', file);
    expect(again.result.failure?.code).toBe('STORED_EVENTS_INVALID');
    expect(again.alerts.map((a) => a.code)).toContain('STORED_EVENTS_INVALID');
    // It stopped before its strategy ran: no bar traded, no snapshot after the one it resumed.
    expect(again.result.barsProcessed).toBe(0);
    expect(await new StrategySnapshotRepository(store.db, 'iv').latest('heard-iv')).toEqual(saved);
  }, 60_000);

  it('another account’s event committed meanwhile with a later place does not count the fill as heard', async () => {
    // The fill's insert waits, its `seq` taken, while the test holds an advisory lock: it is
    // committed only after the snapshot is saved, and another writer's event, committed before
    // the save, has a greater `seq`.
    const schema = store.schema!;
    await sql
      .raw(
        `create function ${schema}.hold_fill() returns trigger language plpgsql as $$
          begin perform pg_advisory_xact_lock_shared(4242); return new; end $$;
        create trigger hold_fill after insert on ${schema}.order_events for each row
          when (new.kind = 'OrderFilled' and new.client_order_id like '%cb-%')
          execute function ${schema}.hold_fill()`,
      )
      .execute(store.db);
    const locker = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await locker.connect();
    try {
      const dir = tempDir('kairos-heard-');
      const file = path.join(dir, 'venue.json');
      let order = '';
      const first = await run('cb', file, async (deliver, id) => {
        order = id;
        await locker.query('select pg_advisory_lock(4242)');
        await deliver();
        // The fill's insert has its `seq` and waits for the lock.
        await until(
          async () =>
            (
              await locker.query(
                `select 1 from pg_locks where locktype = 'advisory' and objid = 4242 and not granted`,
              )
            ).rowCount === 1,
          10_000,
          'the fill’s insert waiting',
        );
        // Another account's event, committed now, after the fill's `seq` was taken.
        await locker.query(
          `insert into ${schema}.order_events (client_order_id, kind, ts, payload)
           values ('other-1', 'OrderInitialized', 1, '{}')`,
        );
        // The save runs while the fill is not committed; the lock goes once it returned.
        return async () => {
          await locker.query('select pg_advisory_unlock(4242)');
        };
      });
      expect(first.result.failure?.message).toContain('killed after the snapshot');
      await filled('cb', order);
      const again = await run('cb', file);
      expect(again.result.failure).toBeNull();
      const clean = await uninterrupted('ub');
      expect(again.state).toEqual(clean.state);
      expect(again.state.heard.filter((h) => h.endsWith('OrderFilled'))).toEqual(['3 OrderFilled']);
    } finally {
      await locker.end();
    }
  }, 60_000);
});
