import { isTrade, type MarketEvent } from '../../../src/trading/data/market-data.js';
import { SeededRandom } from '../../../src/trading/core/random.js';
import tradeChurn from '../../fixtures/strategies/trade-churn.js';
import { crashRig } from '../../support/crash-harness.js';
import { tradesWithBars, XRP_ETH } from '../../support/paper-trades.js';
import { freshStore } from '../../support/stores.js';

/**
 * DESIGN invariant 11 on trade ticks, in-process: a paper replay of trades and the bars they make
 * (a strategy with `onTrade`, its orders made on one trade and filled by the paper venue on the
 * bar's match before `onBar`, some cancelled) killed at every kind of point, chosen by seed among
 * the uninterrupted run's own steps, then restarted (and killed once more at a seeded step of the
 * restart), ends with exactly the orders, fills, cash, equity and strategy snapshot of the
 * uninterrupted run. Reproduce a failure with KAIROS_CRASH_SEED=<seed>.
 */
const SEED = Number(process.env.KAIROS_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

const INST = XRP_ETH;

describe('a crashed trade-tick replay ends as the uninterrupted run', () => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    store = await freshStore('postgres');
  });
  afterAll(async () => {
    await store.drop();
  });

  it('killed before a commit, between commit and send, after a send, after a fill, mid-bar, before the snapshot', async () => {
    const { events, bars } = await tradesWithBars(INST, 120);
    const rig = (account: string) =>
      crashRig({
        store,
        account,
        instrument: INST,
        strategy: tradeChurn,
        params: { size: '100', every: 3 },
        cash: '10',
        bars,
        events,
      });
    const base = rig('base');
    const clean = await base.run();
    expect(clean.finished).toBe(true);
    const expected = await base.outcome();
    expect(expected.orders.filter((o) => o.includes(' CANCELED ')).length).toBeGreaterThan(0);
    expect(expected.fills.length).toBeGreaterThan(6);

    // The steps of the uninterrupted run, by kind: a kill there cuts a run at that very moment.
    const next = new Map<string, MarketEvent | undefined>();
    events.forEach((e, i) => {
      if (isTrade(e)) next.set(`trade ${e.tradeId}`, events[i + 1]);
    });
    const at = (step: string) => step.slice(0, step.indexOf(' ', 6));
    const kinds: Record<string, (step: string) => boolean> = {
      'before an order commit': (s) =>
        s.startsWith('trade') && s.includes('before commit OrderInit'),
      'after a send': (s) => s.startsWith('trade') && s.endsWith('after send'),
      'after a fill': (s) => s.startsWith('bar') && s.includes('after commit OrderFilled'),
      'mid-bar, between two trades': (s) =>
        s.startsWith('trade') && s.includes(' after ') && isTradeEvent(next.get(at(s))),
      'after the bar, before its snapshot': (s) => s.includes('before save snapshot'),
    };
    const rng = new SeededRandom(SEED);
    const plan: { kind: string; at: number; beforeSubmit: number }[] = [];
    for (const [kind, is] of Object.entries(kinds)) {
      const steps = clean.trace.flatMap((s, i) => (is(s) ? [i + 1] : []));
      expect(steps.length).toBeGreaterThan(0);
      plan.push({ kind, at: steps[rng.int(0, steps.length - 1)]!, beforeSubmit: Infinity });
    }
    const sends = clean.trace.filter((s) => s.endsWith('before send')).length;
    plan.push({ kind: 'between commit and send', at: Infinity, beforeSubmit: rng.int(1, sends) });
    process.stdout.write(
      `crash-replay-trades: seed ${SEED}, ${plan.map((p) => `${p.kind} @${p.at === Infinity ? `submit ${p.beforeSubmit}` : p.at}`).join('; ')}\n`,
    );

    for (const [i, p] of plan.entries()) {
      const crashed = rig(`crash-${i}`);
      expect((await crashed.run(p.at, p.beforeSubmit)).finished).toBe(false);
      // Restarted: killed once more at a seeded step of the restart, then run to the end.
      const again = await crashed.run(1 + rng.int(0, clean.steps / 3));
      const last = again.finished ? again : await crashed.run();
      expect({ kind: p.kind, finished: last.finished }).toEqual({ kind: p.kind, finished: true });
      expect(last.alerts.filter((a) => a.code !== 'RECONCILIATION_DRIFT')).toEqual([]);
      expect({ kind: p.kind, ...(await crashed.outcome()) }).toEqual({ kind: p.kind, ...expected });
      expect({ kind: p.kind, state: last.state }).toEqual({ kind: p.kind, state: clean.state });
    }
  }, 120_000);
});

function isTradeEvent(e: MarketEvent | undefined): boolean {
  return e !== undefined && isTrade(e);
}
