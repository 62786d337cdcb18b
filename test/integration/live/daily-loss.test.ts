import { OrderRepository } from '../../../src/store/order-repository.js';
import { StrategySnapshotRepository } from '../../../src/store/strategy-snapshot-repository.js';
import { Dec } from '../../../src/trading/core/decimal.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import { TradingNode } from '../../../src/trading/live/trading-node.js';
import type { RiskSettings } from '../../../src/trading/live/trading-core.js';
import { defineStrategy } from '../../../src/trading/strategy/index.js';
import { bar, instrument } from '../../support/builders.js';
import { simVenue } from '../../support/paper-trades.js';
import { anyStore } from '../../support/stores.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const INST = instrument({ makerFee: '0', takerFee: '0' });

/** Buys 1 at market on every bar and keeps each answer: the bar's close time and the reason. */
const buyEveryBar = defineStrategy({
  name: 'buy-every-bar',
  init: () => ({ answers: [] as [number, string | null][] }),
  onBar(ctx, b) {
    ctx.state.answers.push([b.closeTime, ctx.buy('1').reason]);
  },
});

/** One day of bars falling 10 each from 200, then the next day's bars flat at the last price. */
function bars(): Bar[] {
  const start = 20 * DAY;
  const out: Bar[] = [];
  for (let i = 0; i < 10; i++) {
    const p = 200 - 10 * i;
    out.push({ ...bar(p, p, p - 10, p - 10, start + i * MINUTE), instrumentId: INST.id });
  }
  for (let i = 0; i < 3; i++)
    out.push({ ...bar(110, 110, 110, 110, start + DAY + i * MINUTE), instrumentId: INST.id });
  return out;
}

async function* feed(all: Bar[]): AsyncIterable<readonly Bar[]> {
  for (const b of all) yield [b];
}

const withLimit =
  (limit: string): (() => Promise<RiskSettings>) =>
  async () => ({
    limits: { global: { dailyLossLimit: Dec(limit) }, strategies: {}, instruments: {} },
    states: { global: 'ACTIVE', strategies: {} },
  });

/**
 * The reason of each bar's buy (null: it went through) with `limit` as the daily loss limit, on
 * an account and a strategy id (its client order ids' tag) of the limit's own in `store`.
 */
async function reasonsWith(
  store: Awaited<ReturnType<typeof anyStore>>,
  limit: string,
): Promise<(string | null)[]> {
  const accountId = `paper-${limit}`;
  const strategyId = `buy-every-bar-${limit}`;
  const snapshots = new StrategySnapshotRepository(store.db, accountId);
  await new TradingNode({
    accountId,
    instrument: INST,
    strategy: buyEveryBar,
    strategyId,
    cash: '100000',
    orders: new OrderRepository(store.db, accountId),
    snapshots,
    risk: withLimit(limit),
    riskRefreshBars: 1,
    ownsTime: true,
    venue: (deliver) => simVenue(INST, deliver),
  }).run(feed(bars()));
  const snap = await snapshots.latest(strategyId);
  return (snap!.state as { answers: [number, string | null][] }).answers.map(([, r]) => r);
}

// The daily loss limit could be stored but no day PnL reached the gate: it was never enforced
// outside a unit test that injected it.
describe('the daily loss limit in a running node', () => {
  // One store for both runs, each on an account of its own.
  let store: Awaited<ReturnType<typeof anyStore>>;
  beforeAll(async () => {
    store = await anyStore();
  });
  afterAll(async () => {
    await store?.drop();
  });

  it('denies orders that add exposure once the day has lost the limit, and allows them the next day', async () => {
    const reasons = await reasonsWith(store, '50');
    // Day one: buying while the price falls. Each bought unit loses 10 a bar: once the units
    // held have lost 50 the day is over for new exposure.
    const firstDenied = reasons.indexOf('DAILY_LOSS_LIMIT');
    expect(firstDenied).toBeGreaterThan(0);
    expect(reasons.slice(0, firstDenied).every((r) => r === null)).toBe(true);
    expect(reasons.slice(firstDenied, 10).every((r) => r === 'DAILY_LOSS_LIMIT')).toBe(true);
    // A new UTC day starts from the equity it opens with.
    expect(reasons.slice(10)).toEqual([null, null, null]);
  });

  it('lets every order through when the limit is never reached', async () => {
    expect(await reasonsWith(store, '100000')).toEqual(Array(13).fill(null));
  });
});
