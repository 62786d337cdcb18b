import { isTrade, type MarketEvent } from '../../../src/trading/data/market-data.js';
import { SeededRandom } from '../../../src/trading/core/random.js';
import bracket from '../../fixtures/strategies/bracket.js';
import { crashRig, type CrashRig } from '../../support/crash-harness.js';
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
const SEED = Number(process.env.KAIROS_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const PLANS = Number(process.env.KAIROS_CRASH_PLANS ?? 32);
/** Runs only this plan (a failure's number, to look at it alone). */
const ONLY = process.env.KAIROS_CRASH_PLAN ? Number(process.env.KAIROS_CRASH_PLAN) : null;

type Kinds = Record<string, (step: string) => boolean>;

/** Kill points of every kind, as the steps of a run's trace name them. */
const KINDS: Kinds = {
  'before an order commit': (s) => s.includes('before commit') && s.includes('OrderInitialized'),
  'after a send': (s) => s.endsWith('after send'),
  "after a cancel's send": (s) => s.endsWith('after cancel'),
  'after a fill is stored': (s) => s.includes('after commit') && s.includes('OrderFilled'),
  'after a cancel is stored': (s) => s.includes('after commit') && s.includes('OrderCanceled'),
  'after the bar, before its snapshot': (s) => s.includes('before save snapshot'),
  anywhere: () => true,
};

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

interface Plan {
  readonly kind: string;
  readonly at: number;
  readonly beforeSubmit: number;
  readonly restartAt: number;
}

describe('a crashed run whose strategy orders from onOrderEvent ends as the uninterrupted run', () => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    store = await freshStore('pglite');
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

    const rng = new SeededRandom(SEED);
    const names = [...Object.keys(kinds), 'between commit and send'];
    const sends = clean.trace.filter((s) => s.endsWith('before send')).length;
    const plans: Plan[] = [];
    for (let i = 0; i < PLANS; i++) {
      const kind = names[i % names.length]!;
      const restartAt = 1 + rng.int(0, Math.floor(clean.steps / 4));
      if (kind === 'between commit and send') {
        plans.push({ kind, at: Infinity, beforeSubmit: rng.int(1, sends), restartAt });
        continue;
      }
      const steps = clean.trace.flatMap((s, n) => (kinds[kind]!(s) ? [n + 1] : []));
      expect({ kind, some: steps.length > 0 }).toEqual({ kind, some: true });
      plans.push({
        kind,
        at: steps[rng.int(0, steps.length - 1)]!,
        beforeSubmit: Infinity,
        restartAt,
      });
    }
    process.stdout.write(`crash-replay-order-events ${name}: seed ${SEED}, ${PLANS} plans\n`);

    const failures: string[] = [];
    for (const [i, p] of plans.entries()) {
      if (ONLY !== null && i !== ONLY) continue;
      const where = `plan ${i}: ${p.kind} @${p.at === Infinity ? `submit ${p.beforeSubmit}` : `${p.at} (${clean.trace[p.at - 1]})`}, restart killed @${p.restartAt}`;
      const crashed = rig(`${name}${i}`);
      const first = await crashed.run(p.at, p.beforeSubmit);
      if (first.finished) {
        failures.push(`${where}: not killed`);
        continue;
      }
      const again = await crashed.run(p.restartAt);
      const last = again.finished ? again : await crashed.run();
      const mismatches = [...first.alerts, ...again.alerts, ...(last === again ? [] : last.alerts)]
        .filter((a) => a.code === 'REPLAY_MISMATCH')
        .map((a) => a.message);
      const alerts = last.alerts
        .filter((a) => a.code !== 'RECONCILIATION_DRIFT')
        .map((a) => a.code);
      const got = last.finished ? await crashed.outcome() : null;
      const differs = got
        ? (Object.keys(expected) as (keyof typeof expected)[]).filter(
            (k) => JSON.stringify(got[k]) !== JSON.stringify(expected[k]),
          )
        : ['not finished'];
      if (local(last.state) !== local(clean.state))
        differs.push(`state ${stateDiff(last.state, clean.state)}`);
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

/** A state's JSON with client order ids without their run's strategy id. */
function local(state: unknown): string {
  return JSON.stringify(state).replace(/bracket-[a-z0-9]+-(\d+)/g, '#$1');
}

/** The fields of two strategy states that differ, each as got / expected. */
function stateDiff(got: unknown, want: unknown): string {
  const g = JSON.parse(local(got ?? {})) as Record<string, unknown>;
  const w = JSON.parse(local(want ?? {})) as Record<string, unknown>;
  return [...new Set([...Object.keys(g), ...Object.keys(w)])]
    .filter((k) => JSON.stringify(g[k]) !== JSON.stringify(w[k]))
    .map((k) => `${k}: ${JSON.stringify(g[k])} / ${JSON.stringify(w[k])}`)
    .join(', ');
}
