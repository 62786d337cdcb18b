import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import { FileCatalog } from '../../../src/system/file-catalog.js';
import { StrategyHost } from '../../../src/system/strategy-host.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import { TradingCore } from '../../../src/trading/live/trading-core.js';
import { TradingDesk } from '../../../src/trading/live/trading-desk.js';
import { PaperVenue } from '../../../src/trading/venues/paper/paper-venue.js';
import { btcInstrument } from '../../support/paper-args.js';
import { addUser } from '../../support/strategy-catalog.js';
import { anyStore } from '../../support/stores.js';
import { tempDir } from '../../support/temp-dir.js';

/** Records the position its context shows on every bar; sells whatever it holds. */
const WATCHER = `import { defineStrategy } from 'kairos/sdk';
export default defineStrategy({
  name: 'watcher',
  init: () => ({ seen: [] as string[] }),
  onBar(ctx) {
    const p = ctx.position();
    ctx.state.seen.push(p.quantity.toFixed());
    if (p.isLong) ctx.sell(p.quantity);
    if (ctx.state.seen.length === 2) ctx.buy('0.5');
  },
});
`;

// A strategy started on the server saw the whole desk's position (every trader's fills): a
// strategy that sells what it holds would have sold a trader's holdings.
describe('a strategy on the server sees only its own position', () => {
  let store: Awaited<ReturnType<typeof anyStore>>;
  let dir: string;
  const inst = btcInstrument();
  beforeAll(async () => {
    store = await anyStore();
    dir = tempDir('kairos-own-');
    mkdirSync(path.join(dir, 'strategies'));
    writeFileSync(path.join(dir, 'strategies', 'watcher.ts'), WATCHER);
  });
  afterAll(async () => {
    await store?.drop();
  });

  it("never counts, or trades away, a trader's fills on the same account", async () => {
    const orders = new OrderRepository(store.db, 'desk');
    const { core } = await TradingCore.open({
      accountId: 'desk',
      instruments: [inst],
      cash: { [inst.quote]: '1000000' },
      orders,
      venue: (deliver) =>
        new PaperVenue(
          path.join(dir, 'venue.json'),
          { venue: 'PAPER', instruments: [inst] },
          deliver,
        ),
    });
    const host = new StrategyHost({
      db: store.db,
      core,
      instrument: inst,
      catalog: FileCatalog.strategies(path.join(dir, 'strategies')),
      snapshots: new StrategySnapshotRepository(store.db, 'desk'),
      buildDir: path.join(dir, 'build'),
      now: Date.now,
    });
    const owner = await addUser(store.db, 'tess', 'trader');
    const t0 = 1_700_000_000_000;
    const bar = (i: number): Bar => ({
      instrumentId: inst.id,
      openTime: t0 + i * 60_000,
      closeTime: t0 + (i + 1) * 60_000,
      open: 100,
      high: 100,
      low: 100,
      close: 100,
      volume: 1000,
    });
    const play = async (i: number) => {
      core.onBar(bar(i));
      await host.onBar(bar(i));
      await core.settle();
    };
    await play(0);
    // The trader buys 2 at market; it fills on the next bar.
    const desk = new TradingDesk(core, orders);
    await desk.place(`user:${owner}`, 'trader-buy-1', {
      instrumentId: inst.id,
      side: 'BUY',
      quantity: '2',
    });
    await play(1);
    expect(core.ledger.position(inst.id).quantity.toFixed()).toBe('2');
    const started = await host.start(owner, { name: 'watcher' }, { actor: 'tess', role: 'trader' });
    for (let i = 2; i < 7; i++) await play(i);
    const view = await host.state(owner, started.id);
    const seen = (view!.state as { seen: string[] }).seen;
    // Flat until its own buy of 0.5 fills, then it sells exactly that, and is flat again.
    expect(seen).toEqual(['0', '0', '0.5', '0', '0']);
    expect(core.ledger.position(inst.id).quantity.toFixed()).toBe('2');
  });
});
