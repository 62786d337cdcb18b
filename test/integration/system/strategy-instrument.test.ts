import path from 'node:path';
import { AuditRepository } from '../../../src/store/audit-repository.js';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategyDeploymentRepository } from '../../../src/store/strategy-deployment-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import { FileCatalog } from '../../../src/system/file-catalog.js';
import { StrategyHost } from '../../../src/system/strategy-host.js';
import { KairosError } from '../../../src/trading/core/errors.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import { TradingCore } from '../../../src/trading/live/trading-core.js';
import { PaperVenue } from '../../../src/trading/venues/paper/paper-venue.js';
import { bar as flatBar, instrument } from '../../support/builders.js';
import { btcInstrument } from '../../support/paper-args.js';
import { addToCatalog, addUser } from '../../support/strategy-catalog.js';
import { anyStore } from '../../support/stores.js';
import { tempDir } from '../../support/temp-dir.js';

const by = { actor: 'user:q', role: 'quant' };

/**
 * Issue 15: a strategy started on the API chooses its instrument among its account's. It hears
 * only that instrument's bars and trades it, the choice is stored (migration 0013) and kept
 * across a restart, and one the account does not trade is refused (`UNKNOWN_INSTRUMENT`, naming
 * it and the account's) with nothing stored.
 */
describe('strategy host: the instrument a start names', () => {
  let store: Awaited<ReturnType<typeof anyStore>>;
  let dir: string;
  let owner: string;
  const btc = btcInstrument();
  const eth = instrument({ id: 'ETH/X', base: 'ETH', quote: 'X', lotSize: '0.001' });
  const bar = (instrumentId: string, i: number, close: number): Bar => ({
    ...flatBar(close, close, close, close, i * 60_000),
    instrumentId,
  });

  beforeAll(async () => {
    store = await anyStore();
    dir = tempDir('kairos-host-inst-');
    addToCatalog(path.join(dir, 'strategies'), 'examples/strategies/sma-cross.ts', 'sma-cross');
    owner = await addUser(store.db, 'quinn', 'quant');
  });
  afterAll(async () => {
    await store?.drop();
  });

  async function boot() {
    const instruments = [btc, eth];
    const { core } = await TradingCore.open({
      accountId: 'desk',
      instruments,
      cash: { X: '100000' },
      orders: new OrderRepository(store.db, 'desk'),
      venue: (deliver) =>
        new PaperVenue(path.join(dir, 'venue.json'), { venue: 'PAPER', instruments }, deliver),
    });
    const host = new StrategyHost({
      db: store.db,
      core,
      instrument: btc,
      instrumentsOf: () => instruments,
      catalog: FileCatalog.strategies(path.join(dir, 'strategies')),
      snapshots: new StrategySnapshotRepository(store.db, 'desk'),
      buildDir: path.join(dir, 'build'),
      now: Date.now,
    });
    const play = async (bars: Bar[]) => {
      for (const b of bars) {
        core.onBar(b);
        await host.onBar(b);
        await core.settle();
        await core.reconcile();
      }
    };
    return { core, host, play };
  }

  it('trades only the instrument it names, keeps it across a restart, and refuses one its account does not trade', async () => {
    const first = await boot();
    const refused = await first.host
      .start(owner, { name: 'sma-cross', instrumentId: 'DOGE/X' }, by)
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KairosError);
    expect((refused as KairosError).code).toBe('UNKNOWN_INSTRUMENT');
    expect((refused as KairosError).message).toBe(
      'instrumentId: account desk trades no instrument "DOGE/X" (it trades: BTC/X, ETH/X)',
    );
    expect(await new StrategyDeploymentRepository(store.db).list(owner)).toEqual([]);

    const started = await first.host.start(
      owner,
      { name: 'sma-cross', instrumentId: 'ETH/X', params: { fast: 2, slow: 4, size: '1' } },
      by,
    );
    expect(started.instrumentId).toBe('ETH/X');
    // A falling then rising market on both; only ETH/X's bars reach it, so only ETH/X is traded.
    const closes = [10, 9, 8, 7, 6, 7, 9, 12, 15, 18, 14, 10, 7, 5, 8, 12];
    const bars = closes.flatMap((c, i) => [bar('BTC/X', i, c * 100), bar('ETH/X', i, c)]);
    await first.play(bars.slice(0, 20));
    const orders = () => first.core.exec.allOrders().filter((o) => o.strategyId === started.id);
    expect(orders().length).toBeGreaterThan(0);
    expect(new Set(orders().map((o) => o.instrumentId))).toEqual(new Set(['ETH/X']));
    expect((await first.host.state(owner, started.id))!.lastBarAt).toBe(bars[19]!.closeTime);
    first.host.halt();

    const second = await boot();
    expect(await second.host.resume()).toBe(1);
    expect(await second.host.state(owner, started.id)).toMatchObject({ instrumentId: 'ETH/X' });
    await second.play(bars.slice(20));
    const all = second.core.exec.allOrders().filter((o) => o.strategyId === started.id);
    expect(new Set(all.map((o) => o.instrumentId))).toEqual(new Set(['ETH/X']));
    const stored = await new StrategyDeploymentRepository(store.db).find(started.id);
    expect(stored).toMatchObject({ instrumentId: 'ETH/X' });
    const audit = await new AuditRepository(store.db).page({
      from: 0,
      to: Number.MAX_SAFE_INTEGER,
      after: 0,
      limit: 10_000,
    });
    expect(audit.find((r) => r.action === 'strategy.started')?.payload).toMatchObject({
      instrumentId: 'ETH/X',
    });
    second.host.halt();
  }, 60_000);
});
