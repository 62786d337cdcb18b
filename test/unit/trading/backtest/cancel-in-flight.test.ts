import { BacktestEngine } from '../../../../src/trading/backtest/backtest-engine.js';
import type { Bar } from '../../../../src/trading/data/market-data.js';
import { defineStrategy } from '../../../../src/trading/strategy/define-strategy.js';
import { instrument } from '../../../support/builders.js';

const MINUTE = 60_000;
const inst = instrument({ makerFee: '0.001', takerFee: '0.002' });
const bars: Bar[] = [100, 100, 100].map((p, i) => ({
  instrumentId: inst.id,
  openTime: i * MINUTE,
  closeTime: (i + 1) * MINUTE,
  open: p,
  high: p,
  low: p,
  close: p,
  volume: 100,
}));
async function* source(b: Bar[]) {
  yield b;
}

// A cancel sent while the order is still on its way: the venue then refuses the order itself
// (a post-only that would take). The order was PENDING_CANCEL; REJECTED must close it, as a
// real venue's answer would, instead of breaking the run.
describe('a cancel in flight when the venue rejects the order', () => {
  it('ends the order REJECTED with the venue reason, and the run goes on', async () => {
    const strategy = defineStrategy({
      name: 'post-then-cancel',
      init: () => ({ sent: false as boolean }),
      onBar(ctx) {
        if (ctx.state.sent) return;
        ctx.state.sent = true;
        const t = ctx.buy('1', { type: 'LIMIT', price: '101', postOnly: true });
        ctx.cancel(t.clientOrderId);
      },
    });
    const run = await new BacktestEngine({
      instrument: inst,
      strategy,
      cash: '1000',
      latencyMs: 1000,
    }).runBars(source(bars));
    expect(run.failure).toBeUndefined();
    expect(run.orders).toHaveLength(1);
    expect(run.orders[0]).toMatchObject({ status: 'REJECTED' });
    expect(run.fills).toHaveLength(0);
  });
});
