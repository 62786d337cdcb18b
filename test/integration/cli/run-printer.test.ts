import path from 'node:path';
import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import { RunPrinter } from '../../../src/cli/run-printer.js';
import { observeOrders, observeResume, stoppableFeed } from '../../../src/cli/run-observers.js';
import { toDecimal } from '../../../src/trading/core/decimal.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import { TradingNode } from '../../../src/trading/live/trading-node.js';
import { PaperVenue } from '../../../src/trading/venues/paper/paper-venue.js';
import smaCross from '../../../examples/strategies/sma-cross.js';
import { instrument } from '../../support/builders.js';
import { anyStore } from '../../support/stores.js';
import { tempDir } from '../../support/temp-dir.js';

const MIN = 60_000;
const inst = instrument({ id: 'BTC/USDT', base: 'BTC', quote: 'USDT', lotSize: '0.001' });
const closes = Array.from({ length: 120 }, (_, i) => 100 + 10 * Math.sin(i / 4));
const bars: Bar[] = closes.map((c, i) => ({
  instrumentId: inst.id,
  openTime: i * MIN,
  closeTime: (i + 1) * MIN,
  open: c,
  high: c + 1,
  low: c - 1,
  close: c,
  volume: 100,
}));
async function* feed(): AsyncIterable<readonly Bar[]> {
  yield bars;
}

describe('paper/live run lines', () => {
  let store: Awaited<ReturnType<typeof anyStore>>;
  beforeAll(async () => {
    store = await anyStore();
  });
  afterAll(async () => {
    await store?.drop();
  });

  it('prints a start line, every decision (denials included) and a summary whose counts match the store', async () => {
    const lines: string[] = [];
    let wall = 0;
    const params = { fast: 2, slow: 5, size: '1' };
    const printer = new RunPrinter(
      {
        mode: 'paper',
        strategy: 'sma-cross',
        strategyId: 'sma-cross',
        account: 'paper',
        venue: 'PAPER',
        instrument: inst.id,
        params: { fast: 2, slow: 5, size: '1' },
        source: 'test bars',
        totalBars: bars.length,
      },
      (l) => lines.push(l),
      () => (wall += 1_000),
      30_000,
    );
    const repo = new OrderRepository(store.db, 'paper');
    // From bar 60 on, maxPosition 0.5 (below one order's size) denies every buy.
    let limited = false;
    const node = new TradingNode({
      accountId: 'paper',
      instrument: inst,
      strategy: smaCross,
      params,
      strategyId: 'sma-cross',
      cash: '100000',
      orders: observeOrders(repo, (e) => printer.orderEvent(e)),
      snapshots: observeResume(new StrategySnapshotRepository(store.db, 'paper'), (from) =>
        printer.started(from),
      ),
      risk: () =>
        Promise.resolve({
          limits: {
            global: limited ? { maxPosition: toDecimal('0.5') } : {},
            strategies: {},
          },
          states: { global: 'ACTIVE', strategies: {} },
        }),
      riskRefreshBars: 1,
      venue: (deliver) =>
        new PaperVenue(
          path.join(tempDir('kairos-rp-'), 'venue.json'),
          { venue: 'PAPER', instruments: [inst] },
          deliver,
        ),
    });
    const result = await node.run(
      stoppableFeed(
        feed(),
        () => false,
        (b) => {
          limited = b.openTime >= 60 * MIN;
          printer.bar(b);
        },
      ),
    );
    printer.summary('finished', {
      position: result.position,
      base: inst.base,
      cash: result.cash,
      quote: inst.quote,
    });

    expect(lines[0]).toBe(
      'paper sma-cross · account paper · venue PAPER · BTC/USDT · params fast=2,slow=5,size=1 · fresh start · data test bars',
    );
    const fills = await repo.fills();
    const filled = lines.filter((l) => / FILLED /.test(l));
    const denied = lines.filter((l) => / DENIED /.test(l));
    expect(filled).toHaveLength(fills.length);
    expect(fills.length).toBeGreaterThan(0);
    expect(denied.length).toBeGreaterThan(0);
    for (const l of denied)
      expect(l).toMatch(/^\S+ DENIED sma-cross-\d+ POSITION_LIMIT: .* \(BUY 1 BTC\/USDT MARKET\)$/);
    // Progress now and then (every 30 s of wall time here), each one line.
    expect(lines.filter((l) => l.startsWith('… ')).length).toBeGreaterThan(2);
    const summary = lines.at(-1)!;
    expect(summary).toBe(
      `paper sma-cross finished: 120 bars read, last bar 1970-01-01T02:00Z; orders ${(await repo.ordersSince(0)).length}, ` +
        `fills ${fills.length}, denied ${denied.length}, rejected 0, canceled 0; position ${result.position.toFixed()} BTC, cash ${result.cash.toFixed()} USDT`,
    );
  });
});
