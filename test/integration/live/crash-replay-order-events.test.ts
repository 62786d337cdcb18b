import { isTrade, type MarketEvent } from '../../../src/trading/data/market-data.js';
import bracket from '../../fixtures/strategies/bracket.js';
import { crashRig, type CrashRig } from '../../support/crash-harness.js';
import {
  BETWEEN_COMMIT_AND_SEND,
  crashEnv,
  describePlan,
  differingKeys,
  drawPlans,
  KINDS,
  localState,
  runPlan,
  stateDiff,
  stepsOf,
  type Kinds,
} from '../../support/crash-plans.js';
import { btcBars } from '../../support/btc-bars.js';
import { btcInstrument } from '../../support/paper-args.js';
import { tradesWithBars, XRP_ETH } from '../../support/paper-trades.js';
import { freshStore } from '../../support/stores.js';

/**
 * DESIGN invariant 11 for orders a strategy makes in `onOrderEvent` (a bracket: on the entry's
 * fill a take-profit and a stop, on one leg's fill the other cancelled and the rest sold when that
 * cancel is answered, the take-profit re-quoted when its cancel is answered), in-process: over
 * bars and over trade ticks, on a replay and on a live feed's clock, each a property over
 * `KAIROS_CRASH_PLANS` (default 32) kill plans drawn from `KAIROS_CRASH_SEED`: a kill of a kind
 * taken in turn (before an order's commit, between commit and send, after a send, after a
 * cancel's send, after a fill or a cancel is stored, between two trades, after a bar before its
 * snapshot, anywhere) at a seeded step of that kind in the uninterrupted run, then one more
 * seeded kill in the restart. Each ends with exactly the orders, fills, cash, equity and strategy
 * snapshot of the uninterrupted run, and no run raises `REPLAY_MISMATCH`.
 */
/** `KAIROS_CRASH_PLAN=<n>` runs only plan n (a failure's number, to look at it alone). */
const { seed: SEED, plans: PLANS, only: ONLY } = crashEnv(32);

/** The kinds over trade ticks: also between two trades of a bar. */
function tradeKinds(events: readonly MarketEvent[]): Kinds {
  const next = new Map<string, MarketEvent | undefined>();
  events.forEach((e, i) => {
    if (isTrade(e)) next.set(`trade ${e.tradeId}`, events[i + 1]);
  });
  const at = (step: string) => step.slice(0, step.indexOf(' ', 6));
  return {
    ...KINDS,
    'mid-bar, between two trades': (s) => {
      const n = next.get(at(s));
      return s.startsWith('trade') && s.includes(' after ') && n !== undefined && isTrade(n);
    },
  };
}

describe('a crashed run whose strategy orders from onOrderEvent ends as the uninterrupted run', () => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    store = await freshStore('postgres');
  });
  afterAll(async () => {
    await store.drop();
  });

  /** Runs `PLANS` kill plans, each on its own account; answers what differed, by plan. */
  async function property(
    name: string,
    rig: (account: string) => CrashRig,
    kinds: Kinds,
  ): Promise<void> {
    const base = rig(`${name}b`);
    const clean = await base.run();
    expect(clean.finished).toBe(true);
    expect(clean.alerts.filter((a) => a.code !== 'RECONCILIATION_DRIFT')).toEqual([]);
    const expected = await base.outcome();
    // The load: legs placed from fills, cancels answered, re-quotes and sells made from those.
    expect(expected.orders.filter((o) => o.includes(' STOP_MARKET ')).length).toBeGreaterThan(2);
    expect(expected.orders.filter((o) => o.includes(' CANCELED ')).length).toBeGreaterThan(2);
    expect(expected.fills.length).toBeGreaterThan(8);

    const names = [...Object.keys(kinds), BETWEEN_COMMIT_AND_SEND];
    for (const kind of names.slice(0, PLANS).filter((k) => k !== BETWEEN_COMMIT_AND_SEND))
      expect({ kind, some: stepsOf(clean.trace, kinds, kind).length > 0 }).toEqual({
        kind,
        some: true,
      });
    const plans = drawPlans(clean, kinds, names, SEED, PLANS);
    process.stdout.write(`crash-replay-order-events ${name}: seed ${SEED}, ${PLANS} plans\n`);

    const failures: string[] = [];
    for (const [i, p] of plans.entries()) {
      if (ONLY !== null && i !== ONLY) continue;
      const where = describePlan(i, p, clean.trace);
      const crashed = rig(`${name}${i}`);
      const ran = await runPlan(crashed, p);
      if (!ran) {
        failures.push(`${where}: not killed`);
        continue;
      }
      const { last, mismatches, alerts } = ran;
      const got = last.finished ? await crashed.outcome() : null;
      const differs: string[] = got ? differingKeys(got, expected) : ['not finished'];
      if (local(last.state) !== local(clean.state))
        differs.push(`state ${stateDiff(last.state, clean.state, IDS)}`);
      if (mismatches.length > 0 || alerts.length > 0 || differs.length > 0)
        failures.push(
          `${where}: ${[...new Set([...mismatches, ...alerts.filter((a) => a !== 'REPLAY_MISMATCH')])].join('; ')}${differs.length > 0 ? ` differs: ${differs.join(', ')}` : ''}`,
        );
    }
    expect(failures).toEqual([]);
  }

  /** The bracket over the BTC bars, or over real trades and their bars (`KINDS` each). */
  const markets = {
    bars: async () => {
      const bars = await btcBars(40);
      return {
        market: { bars, events: bars, instrument: btcInstrument(), cash: '1000' },
        params: { size: '1', takeProfit: 0.002, stopLoss: 0.001, requoteEvery: 3 },
        kinds: KINDS,
      };
    },
    trades: async () => {
      const { events, bars } = await tradesWithBars(XRP_ETH, 200);
      return {
        market: { bars, events, instrument: XRP_ETH, cash: '10' },
        params: { size: '100', takeProfit: 0.002, stopLoss: 0.001, requoteEvery: 2, tradeEvery: 3 },
        kinds: tradeKinds(events),
      };
    },
  };

  it.each([
    ['bars, on a replay', 'b', 'bars', null],
    ['trade ticks, on a replay', 't', 'trades', null],
    ['bars, on a live clock', 'lb', 'bars', { lagMs: 1_500, warmBars: 5 }],
    ['trade ticks, on a live clock', 'lt', 'trades', { lagMs: 1_500, warmBars: 3 }],
  ] as const)(
    'over %s',
    async (_name, tag, over, live) => {
      const { market, params, kinds } = await markets[over]();
      await property(
        tag,
        (account) =>
          crashRig({
            store,
            account,
            strategy: bracket,
            params,
            ...market,
            // A live feed hands over its bars (and trades) one by one.
            ...(live ? { live } : {}),
          }),
        kinds,
      );
    },
    300_000,
  );
});

/** A client order id of a run (its number in group 1). */
const IDS = /bracket-[a-z0-9]+-(\d+)/g;

/** A state's JSON with client order ids without their run's strategy id. */
function local(state: unknown): string {
  return localState(state, IDS);
}
