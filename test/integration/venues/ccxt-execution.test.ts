import { noopLogger, type Logger } from '../../../src/trading/core/logger.js';
import type { Exchange } from 'ccxt';
import { MemoryBudget } from '../../../src/scalability/rate-limit/memory-budget.js';
import {
  createVenuePolicy,
  type VenuePolicy,
} from '../../../src/scalability/resilience/venue-policy.js';
import { Dec, toDecimal, type Decimal } from '../../../src/trading/core/decimal.js';
import { KairosError } from '../../../src/trading/core/errors.js';
import { SeededRandom } from '../../../src/trading/core/random.js';
import { makeOrder } from '../../../src/trading/execution/order-factory.js';
import { reconcile } from '../../../src/trading/live/reconciler.js';
import type { Alert } from '../../../src/trading/model/alert.js';
import type { Instrument } from '../../../src/trading/model/instrument.js';
import type { Order } from '../../../src/trading/model/order.js';
import { isOnGrid } from '../../../src/trading/model/snap.js';
import { preTradeCheck } from '../../../src/trading/risk/pre-trade-check.js';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import { ClockSkew } from '../../../src/trading/venues/ccxt/clock-skew.js';
import { simExchange, startSim, until } from '../../support/ccxt-sim.js';
import { executionHarness } from '../../support/execution-harness.js';
import { expectEveryFillAfterCancel } from '../../support/many-fills.js';

const SYMBOL = 'BTC/USDT';

/** The OMS, a ledger fed by its fills, and a ccxt client routing to the simulator. */
async function harness(
  sim: BinanceSim,
  over: {
    stream?: boolean;
    exchange?: Exchange;
    notFoundGraceMs?: number;
    onAlert?: (a: Alert) => void;
    policy?: VenuePolicy;
    onClockError?: () => void;
    onLog?: (line: string) => void;
    fillGraceMs?: number;
    now?: () => number;
  } = {},
) {
  const { stream, exchange, ...options } = over;
  return executionHarness(exchange ?? (await simExchange(sim)), {
    ...options,
    symbol: SYMBOL,
    stream: stream ? await simExchange(sim, { pro: true }) : undefined,
  });
}

const statusOf = (sim: BinanceSim, id: string) =>
  sim.state.orders().find((o) => o.clientOrderId === id);

describe('CcxtExecutionClient against the Binance simulator', () => {
  let sim: BinanceSim;
  afterEach(async () => {
    await sim.close();
  });

  it('accepts, fills and cancels, with the client order id in the venue field', async () => {
    sim = await startSim();
    const h = await harness(sim);
    const buy = h.send({ side: 'BUY', quantity: '0.5' });
    const rest = h.send({ side: 'BUY', quantity: '1', price: '100' });
    await h.client.idle();
    expect(h.exec.order(buy.clientOrderId)).toMatchObject({ status: 'FILLED' });
    expect(h.exec.order(buy.clientOrderId)!.filledQuantity.toFixed()).toBe('0.5');
    expect(h.exec.order(rest.clientOrderId)).toMatchObject({ status: 'ACCEPTED' });
    expect(statusOf(sim, rest.clientOrderId)).toMatchObject({ status: 'NEW' });
    // The 0.1 % commission of a buy is charged in BTC: the position is what the venue holds.
    expect(h.ledger.position(SYMBOL).quantity.toFixed()).toBe('0.4995');
    h.cancel(rest.clientOrderId);
    await h.client.idle();
    expect(h.exec.order(rest.clientOrderId)).toMatchObject({
      status: 'CANCELED',
      reason: 'CANCELED_BY_USER',
    });
    expect(await h.client.orderByClientId(rest.clientOrderId)).toMatchObject({
      status: 'CANCELED',
    });
    await h.close();
  });

  it('an order filled in 1,200 trades, then cancelled: every fill is fetched, by trade id past pages of 1,000 (no VENUE_FILLS_MISSING)', async () => {
    sim = await startSim({ tradesPerFill: 1200 });
    const h = await harness(sim, { fillGraceMs: 20 });
    await expectEveryFillAfterCancel(h, sim, 1200);
    expect(sim.state.requests.get('GET /api/v3/myTrades')).toBe(2);
    await h.close();
  });

  it('rejects with a stable reason: short balance, a refused filter', async () => {
    sim = await startSim({ balances: { BTC: '1', USDT: '100' } });
    const h = await harness(sim);
    const big = h.send({ side: 'BUY', quantity: '1', price: '1000' });
    await h.client.idle();
    sim.faults.set({ rejectNextOrders: { code: -1013, msg: 'Filter failure: LOT_SIZE' } });
    const filtered = h.send({ side: 'SELL', quantity: '0.1', price: '40000' });
    await h.client.idle();
    expect(h.exec.order(big.clientOrderId)).toMatchObject({
      status: 'REJECTED',
      reason: 'INSUFFICIENT_BALANCE',
    });
    expect(h.exec.order(filtered.clientOrderId)!.status).toBe('REJECTED');
    expect(h.exec.order(filtered.clientOrderId)!.reason).toMatch(/^VENUE_/);
    expect(sim.state.orders()).toHaveLength(0);
    await h.close();
  });
});

describe('T9: unknown outcome (answers lost)', () => {
  let sim: BinanceSim;
  afterEach(async () => {
    await sim.close();
  });

  it('30% of creates lose their answer: 0 duplicates at the venue, every unknown resolved by client id', async () => {
    sim = await startSim();
    // A breaker that tolerates the storm: here every lost answer must reach reconciliation.
    const policy = createVenuePolicy({ venue: 'binance', breakAfter: 1000 });
    const h = await harness(sim, { notFoundGraceMs: 4000, policy });
    // 30% of creations are booked and their answer lost; fresh orders hide from queries for 1 s.
    sim.faults.set({ dropOrderResponseRate: 0.3, dropMode: 'reset', hideNewOrdersMs: 1000 });
    const rng = new SeededRandom(9);
    const sent: Order[] = [];
    for (let i = 0; i < 60; i++) {
      const resting = rng.next() < 0.6;
      sent.push(
        h.send(
          resting
            ? { side: 'BUY', quantity: '0.01', price: String(20_000 + i) } // rests below the market
            : { side: rng.next() < 0.5 ? 'BUY' : 'SELL', quantity: '0.002' }, // fills at once
        ),
      );
    }
    await h.client.idle();
    const unknown = h.events.filter((e) => e.kind === 'OrderUnknown').map((e) => e.clientOrderId);
    expect(unknown.length).toBe(sim.faults.stats.droppedResponses);
    expect(unknown.length).toBeGreaterThanOrEqual(10);
    for (const id of unknown) expect(h.exec.order(id)!.status).toBe('UNKNOWN');

    const result = await reconcile(h.exec, h.client, h.bus, 0, Date.now());
    expect(result.drift).toEqual([]);
    // Never resent: the venue saw each client order id once, and holds every order sent.
    const atVenue = sim.state.orders().map((o) => o.clientOrderId);
    expect(new Set(atVenue).size).toBe(atVenue.length);
    expect(atVenue.sort()).toEqual(sent.map((o) => o.clientOrderId).sort());
    // Every unknown is resolved with the venue's facts.
    for (const o of sent) {
      const mine = h.exec.order(o.clientOrderId)!;
      const venue = statusOf(sim, o.clientOrderId)!;
      expect(mine.filledQuantity.toFixed()).toBe(venue.executedQty.toFixed());
      expect(mine.status).toBe(venue.status === 'NEW' ? 'ACCEPTED' : venue.status);
    }
    await h.close();
  });

  it('a create that hangs times out as UNKNOWN (VENUE_TIMEOUT) and is found by client id', async () => {
    sim = await startSim();
    const h = await harness(sim, {
      exchange: await simExchange(sim_(), { timeoutMs: 300 }),
    });
    sim.faults.set({ dropOrderResponses: 2, dropMode: 'hang' });
    const a = h.send({ side: 'BUY', quantity: '0.01', price: '20000' });
    const b = h.send({ side: 'SELL', quantity: '0.01' });
    await h.client.idle();
    expect(h.exec.order(a.clientOrderId)).toMatchObject({
      status: 'UNKNOWN',
      reason: 'VENUE_TIMEOUT',
    });
    expect(h.exec.order(b.clientOrderId)!.status).toBe('UNKNOWN');
    expect(await h.client.orderByClientId(a.clientOrderId)).toMatchObject({ status: 'OPEN' });
    await reconcile(h.exec, h.client, h.bus, 0, Date.now());
    expect(h.exec.order(a.clientOrderId)!.status).toBe('ACCEPTED');
    expect(h.exec.order(b.clientOrderId)).toMatchObject({ status: 'FILLED' });
    expect(sim.state.orders()).toHaveLength(2);
    await h.close();
  });

  it('a create slower than the not-found grace: reconciliation meanwhile waits for its answer and finds the order, never NOT_AT_VENUE', async () => {
    // One clock for the venue and the client; the create's trip takes 3 s of it (a loaded machine
    // or network), against a grace of 1.5 s after the order is sent and a venue that hides a new
    // order from queries for 1 s after it took it.
    let skew = 0;
    const now = () => Date.now() + skew;
    sim = await startSim({ clock: { now } });
    sim.faults.set({ hideNewOrdersMs: 1000 });
    const exchange = await simExchange(sim);
    const create = exchange.createOrder.bind(exchange);
    let onCreate!: () => void;
    const creating = new Promise<void>((r) => (onCreate = r));
    exchange.createOrder = ((...args: Parameters<Exchange['createOrder']>) => {
      skew += 3000;
      onCreate();
      return create(...args);
    }) as Exchange['createOrder'];
    const h = await harness(sim, { exchange, notFoundGraceMs: 1500, now });
    const order = h.send({ side: 'BUY', quantity: '0.01', price: '20000' });
    await creating;
    // The create is under way: the order is SUBMITTED, and the venue will hold it open.
    const result = await reconcile(h.exec, h.client, h.bus, 0, now());
    await h.client.idle();
    expect(statusOf(sim, order.clientOrderId)).toMatchObject({ status: 'NEW' });
    expect(h.exec.order(order.clientOrderId)).toMatchObject({ status: 'ACCEPTED' });
    expect(result.drift).toEqual([]);
    // Answered and still hidden for a while at the venue: found all the same.
    expect(await h.client.orderByClientId(order.clientOrderId)).toMatchObject({ status: 'OPEN' });
    await h.close();
  });

  function sim_() {
    return sim;
  }
});

describe('T10: duplicate and out-of-order fills', () => {
  let sim: BinanceSim;
  let cleanup: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await cleanup?.().catch(() => undefined);
    cleanup = null;
    await sim.close();
  });

  it('fills delivered 2-3x, reordered, plus REST snapshots: positions equal the venue exactly', async () => {
    sim = await startSim({ maxVolumeFraction: 0.5 });
    sim.faults.set({ duplicateFills: { minCopies: 2, maxCopies: 3, windowMs: 30 } });
    const logs: string[] = [];
    const h = await harness(sim, { stream: true, onLog: (l) => logs.push(l) });
    cleanup = h.close;
    h.client.start();
    await until(() => sim.state.userDataListeners() === 1, 10_000, 'user data stream');
    const rng = new SeededRandom(3);
    const sent: Order[] = [];
    const last = () => sim.market.lastPrice()!;
    for (let i = 0; i < 20; i++)
      sent.push(
        h.send({
          side: rng.next() < 0.5 ? 'BUY' : 'SELL',
          quantity: (0.001 + rng.next() * 0.05).toFixed(6),
        }),
      );
    const resting: Order[] = [];
    for (let i = 0; i < 30; i++) {
      const buy = i % 2 === 0;
      const away = 0.0005 + rng.next() * 0.002;
      const o = h.send({
        side: buy ? 'BUY' : 'SELL',
        quantity: (1 + rng.next() * 4).toFixed(4),
        price: String(last() * (buy ? 1 - away : 1 + away)),
      });
      resting.push(o);
      sent.push(o);
    }
    await h.client.idle();
    for (let bar = 0; bar < 80; bar++) {
      sim.advance(1);
      if (bar === 30)
        for (const o of resting.slice(0, 10))
          h.exec.execute({
            kind: 'CancelOrder',
            clientOrderId: o.clientOrderId,
            strategyId: 's',
            ts: 0,
          });
      await new Promise((r) => setImmediate(r));
    }
    const venueFilled = (id: string) => statusOf(sim, id)!.executedQty;
    const settled = () =>
      sent.every((o) => {
        const mine = h.exec.order(o.clientOrderId)!;
        const v = statusOf(sim, o.clientOrderId)!;
        return (
          mine.filledQuantity.eq(v.executedQty) &&
          (v.status !== 'CANCELED' || mine.status === 'CANCELED')
        );
      });
    await until(settled, 20_000, 'stream fills match the venue').catch((e: Error) => {
      const off = sent
        .map(
          (o) =>
            [
              o.clientOrderId,
              h.exec.order(o.clientOrderId)!,
              statusOf(sim, o.clientOrderId)!,
            ] as const,
        )
        .filter(
          ([, m, v]) =>
            !m.filledQuantity.eq(v.executedQty) ||
            (v.status === 'CANCELED' && m.status !== 'CANCELED'),
        )
        .map(
          ([id, m, v]) =>
            `${id}: ${m.status} ${m.filledQuantity.toFixed()} here, ${v.status} ${v.executedQty.toFixed()} there`,
        );
      throw new Error(
        `${e.message}: ${off.join('; ')}; alerts ${JSON.stringify(h.alerts)}; log ${logs.slice(-20).join(' | ')}`,
      );
    });
    expect(sim.faults.stats.duplicatedEvents).toBeGreaterThan(0);
    const partial = sent.filter((o) => {
      const v = statusOf(sim, o.clientOrderId)!;
      return v.executedQty.gt(0) && v.executedQty.lt(v.origQty);
    });
    expect(partial.length).toBeGreaterThan(0);
    const canceledPartly = resting.slice(0, 10).filter((o) => venueFilled(o.clientOrderId).gt(0));
    expect(canceledPartly.length).toBeGreaterThan(0); // cancels that raced fills

    // Stale REST snapshots after the stream: nothing is counted twice.
    const before = h.events.filter((e) => e.kind === 'OrderFilled').length;
    const result = await reconcile(h.exec, h.client, h.bus, 0, Date.now());
    expect(result.fillsApplied).toBe(0);
    expect(result.drift).toEqual([]);
    const fills = h.events.filter((e) => e.kind === 'OrderFilled');
    expect(fills.length).toBe(before);
    expect(fills.length).toBe(sim.state.trades().length);

    const trades = sim.state.trades();
    // Base received minus base given: a buy's commission is charged in BTC.
    const signed = trades.reduce(
      (s, t) =>
        (t.side === 'BUY' ? s.plus(t.qty) : s.minus(t.qty)).minus(
          t.commissionAsset === 'BTC' ? t.commission : 0,
        ),
      Dec(0) as Decimal,
    );
    expect(h.ledger.position(SYMBOL).quantity.toFixed()).toBe(signed.toFixed());
    const bal = (asset: string) => {
      const b = sim.state.balances().find((x) => x.asset === asset)!;
      return toDecimal(b.free).plus(b.locked);
    };
    expect(h.ledger.cash('USDT').toFixed()).toBe(bal('USDT').toFixed());
    expect(Dec(10000).plus(signed).plus(h.ledger.cash('BTC')).toFixed()).toBe(bal('BTC').toFixed());
    for (const o of sent)
      expect(h.exec.order(o.clientOrderId)!.filledQuantity.toFixed()).toBe(
        venueFilled(o.clientOrderId).toFixed(),
      );
    expect(h.alerts.filter((a) => a.code === 'ORDER_OVERFILL')).toEqual([]);
    await h.close();
  });
});

describe('T14: 429 then a 418 ban', () => {
  let sim: BinanceSim;
  afterEach(async () => {
    await sim.close();
  });

  it('sends 0 requests during Retry-After or the ban, raises alerts, resumes after', async () => {
    const clock = { offset: 0, now: () => Date.now() + clock.offset };
    let requests = 0;
    const counting: Logger = {
      ...noopLogger,
      debug: () => void requests++,
      info: () => void requests++,
      child: () => counting,
    };
    sim = await startSim({ clock, logger: counting });
    const budget = new MemoryBudget({
      rule: { capacity: 100_000, intervalMs: 60_000 },
      now: clock.now,
    });
    const alerts: Alert[] = [];
    const onAlert = (a: Alert) => alerts.push(a);
    const exchange = await simExchange(sim, { budget, now: clock.now, onAlert });
    const h = await harness(sim, { exchange });
    // A second connection sharing the budget (another process, the market data feed).
    const other = await simExchange(sim, { budget, now: clock.now });
    await other.loadMarkets();

    sim.faults.set({ rateLimit: { after: 0, tooMany: 1, banMs: 120_000 } });
    const first = h.send({ side: 'BUY', quantity: '0.01', price: '20000' });
    await h.client.idle();
    expect(h.exec.order(first.clientOrderId)).toMatchObject({
      status: 'REJECTED',
      reason: 'VENUE_RATE_LIMITED',
    });
    expect(alerts.map((a) => a.code)).toEqual(['VENUE_RATE_LIMITED']);
    const afterTooMany = requests;

    // During Retry-After (1 s): nothing reaches the venue, from either connection.
    const during = [1, 2, 3].map(() => h.send({ side: 'BUY', quantity: '0.01', price: '20000' }));
    await h.client.idle();
    await expect(h.client.orderByClientId(first.clientOrderId)).rejects.toMatchObject({
      code: 'VENUE_RATE_LIMITED',
    });
    await expect(other.fetchOHLCV(SYMBOL, '1m')).rejects.toBeInstanceOf(KairosError);
    expect(requests).toBe(afterTooMany);
    for (const o of during)
      expect(h.exec.order(o.clientOrderId)!.reason).toBe('VENUE_RATE_LIMITED');

    // Retry-After over: the next request meets the 418 ban, which stops everything.
    clock.offset += 1001;
    const banned = h.send({ side: 'BUY', quantity: '0.01', price: '20000' });
    await h.client.idle();
    expect(requests).toBe(afterTooMany + 1);
    expect(h.exec.order(banned.clientOrderId)!.reason).toBe('VENUE_RATE_LIMITED');
    expect(alerts.map((a) => a.code)).toEqual(['VENUE_RATE_LIMITED', 'VENUE_BANNED']);
    expect(alerts[1]!.message).toMatch(/418 IP banned until/);
    const ban = await budget.blockedUntil('binance');
    expect(ban!.untilMs).toBeGreaterThanOrEqual(clock.now() + 119_000);

    clock.offset += 60_000; // half way through the ban
    for (let i = 0; i < 5; i++) h.send({ side: 'SELL', quantity: '0.01' });
    await h.client.idle();
    // A query says it is a ban, and until when (the node waits it out).
    await expect(h.client.openOrders()).rejects.toMatchObject({
      code: 'VENUE_BANNED',
      untilMs: expect.any(Number),
    });
    await expect(other.fetchTime()).rejects.toMatchObject({ code: 'VENUE_RATE_LIMITED' });
    expect(requests).toBe(afterTooMany + 1);
    expect(sim.state.orders()).toHaveLength(0);

    clock.offset += 60_001; // the ban is over; the venue's clock is now 2 min ahead of ours
    const skew = await new ClockSkew(exchange).measure();
    expect(skew.offsetMs).toBeGreaterThan(120_000);
    expect(await h.client.openOrders()).toEqual([]);
    const after = h.send({ side: 'BUY', quantity: '0.01', price: '20000' });
    await h.client.idle();
    expect(h.exec.order(after.clientOrderId)!.status).toBe('ACCEPTED');
    expect(requests).toBe(afterTooMany + 4);
    await other.close();
    await h.close();
  });
});

describe('precision: 1,000 random orders through the venue markets', () => {
  let sim: BinanceSim;
  afterAll(async () => {
    await sim.close();
  });

  it('every order is on the grid and accepted, or denied with a reason; none rounded to zero', async () => {
    sim = await startSim({ weightPerMinute: 100_000 });
    // Hundreds of orders go out at once: on a loaded machine the last answers can take longer
    // than the default 5 s request timeout, which (rightly) leaves an order UNKNOWN. This test is
    // about precision, not timeouts (those have their own tests), so it waits longer.
    const h = await harness(sim, { exchange: await simExchange(sim, { timeoutMs: 60_000 }) });
    const inst: Instrument = h.inst;
    expect(inst).toMatchObject({ id: SYMBOL, base: 'BTC', quote: 'USDT' });
    expect([inst.tickSize, inst.lotSize, inst.minQuantity, inst.minNotional].map(String)).toEqual([
      '0.01',
      '0.0001',
      '0.001',
      '10',
    ]);
    const rng = new SeededRandom(42);
    const digits = (x: number, max: number) => x.toFixed(Math.floor(rng.next() * (max + 1)));
    const denials = new Map<string, number>();
    const sent: Order[] = [];
    const last = sim.market.lastPrice()!;
    for (let i = 0; i < 1000; i++) {
      const side = rng.next() < 0.5 ? 'BUY' : 'SELL';
      const scale = [0.00001, 0.001, 0.1, 2][Math.floor(rng.next() * 4)]!;
      const quantity = digits(rng.next() * scale, 8);
      // Resting prices (below the market for buys, above for sells), some tiny.
      const p = side === 'BUY' ? last * (0.2 + rng.next() * 0.7) : last * (1.1 + rng.next());
      const price = rng.next() < 0.05 ? digits(rng.next() * 0.02, 6) : digits(p, 6);
      const { order, denial } = makeOrder({ side, quantity, price }, inst, {
        clientOrderId: `p-${i}`,
        accountId: 'main',
        strategyId: 's',
        ts: 0,
      });
      const refusal =
        denial ??
        preTradeCheck(order, inst, {
          freeCash: Dec('1e12'),
          position: Dec('1e6'),
          openSellQuantity: Dec(0),
          openBuyQuantity: Dec(0),
          lastPrice: Dec(last),
          allowShort: false,
        });
      if (refusal) {
        expect(refusal.reason).toMatch(/^[A-Z_]+$/);
        denials.set(refusal.reason, (denials.get(refusal.reason) ?? 0) + 1);
        continue;
      }
      expect(order.quantity.gt(0) && order.price!.gt(0)).toBe(true);
      expect(isOnGrid(order.quantity, inst.lotSize) && isOnGrid(order.price!, inst.tickSize)).toBe(
        true,
      );
      h.exec.add(order);
      h.exec.execute({ kind: 'SubmitOrder', order, ts: 0 });
      sent.push(order);
    }
    await h.client.idle();
    expect([...denials.keys()].sort()).toEqual([
      'NOTIONAL_BELOW_MIN',
      'PRICE_INVALID',
      'QUANTITY_BELOW_MIN',
      'QUANTITY_INVALID',
      'QUANTITY_ROUNDS_TO_ZERO',
    ]);
    expect(sent.length).toBeGreaterThan(300);
    expect(h.events.filter((e) => e.kind === 'OrderRejected')).toEqual([]);
    const venue = new Map(sim.state.orders().map((o) => [o.clientOrderId, o]));
    expect(venue.size).toBe(sent.length);
    for (const o of sent) {
      const v = venue.get(o.clientOrderId)!;
      expect([v.origQty.toFixed(), v.price.toFixed()]).toEqual([
        o.quantity.toFixed(),
        o.price!.toFixed(),
      ]);
      expect(h.exec.order(o.clientOrderId)!.status).toBe('ACCEPTED');
    }
    await h.close();
  });
});

describe('clock skew', () => {
  let sim: BinanceSim;
  afterEach(async () => {
    await sim.close();
  });

  it('a venue clock 30 s ahead: measured, warned about, requests stamped in venue time', async () => {
    sim = await startSim({ clock: { now: () => Date.now() + 30_000 } });
    const exchange = await simExchange(sim);
    await exchange.loadMarkets();
    await expect(exchange.fetchBalance()).rejects.toThrow(/-1021/); // 30 s behind: refused
    const warnings: string[] = [];
    const skew = new ClockSkew(exchange, { onWarn: (m) => warnings.push(m) });
    const sample = await skew.measure();
    expect(sample.offsetMs).toBeGreaterThan(29_000);
    expect(sample.offsetMs).toBeLessThan(31_000);
    expect(sample.recvWindowMs).toBeGreaterThanOrEqual(10_000 + 29_000);
    expect(sample.recvWindowMs).toBeLessThanOrEqual(60_000);
    expect(warnings).toEqual([expect.stringMatching(/binance: clock is \d+ ms behind the venue/)]);
    await expect(exchange.fetchBalance()).resolves.toBeDefined();
    // The execution client asks for a new measurement when the venue refuses a timestamp.
    Object.assign(exchange.options, { timeDifference: 0, recvWindow: 10_000 });
    let asked = 0;
    const h = await harness(sim, { exchange, onClockError: () => asked++ });
    const o = h.send({ side: 'BUY', quantity: '0.01', price: '20000' });
    await h.client.idle();
    expect(h.exec.order(o.clientOrderId)).toMatchObject({
      status: 'REJECTED',
      reason: 'VENUE_CLOCK_SKEW',
    });
    expect(asked).toBe(1);
    await h.close();
  });
});

describe('a venue that goes away', () => {
  it('streams keep retrying with backoff, nothing is left unhandled, close stops them', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    const sim = await startSim();
    const logs: string[] = [];
    const h = await harness(sim, { stream: true, onLog: (l) => logs.push(l) });
    h.client.start();
    await until(() => sim.state.userDataListeners() === 1, 10_000, 'user data stream');
    await sim.close();
    await until(() => logs.filter((l) => /stream failed \(3 in a row\)/.test(l)).length > 0);
    await h.close();
    await new Promise((r) => setImmediate(r));
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });
});
