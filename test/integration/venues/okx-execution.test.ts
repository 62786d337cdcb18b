import type { Exchange } from 'ccxt';
import { MemoryBudget } from '../../../src/scalability/rate-limit/memory-budget.js';
import { ClientOrderIds } from '../../../src/trading/core/client-order-id.js';
import { Dec, toDecimal, type Decimal } from '../../../src/trading/core/decimal.js';
import { reconcile } from '../../../src/trading/live/reconciler.js';
import type { Alert } from '../../../src/trading/model/alert.js';
import type { Order } from '../../../src/trading/model/order.js';
import { OkxIds } from '../../../src/simulators/okx/okx-json.js';
import type { OkxSim } from '../../../src/simulators/okx/server.js';
import { fetchVenueBalances } from '../../../src/trading/venues/ccxt/venue-balances.js';
import { venueClientIds } from '../../../src/trading/venues/ccxt/venue-client-ids.js';
import { executionHarness } from '../../support/execution-harness.js';
import { expectEveryFillAfterCancel } from '../../support/many-fills.js';
import { okxExchange, startOkxSim } from '../../support/okx-sim.js';
import { until } from '../../support/until.js';

const SYMBOL = 'BTC/USDT';

/**
 * One node against the OKX simulator: the OMS, a ledger and a ccxt `okx` client (REST only:
 * OKX's reports reach it by reconciliation). Client order ids are made as a strategy makes them
 * (`<strategy>-<n>`).
 */
const node = (
  exchange: Exchange,
  ids = new ClientOrderIds('sma-cross'),
  over: { fillGraceMs?: number; notFoundGraceMs?: number; onClockError?: () => void } = {},
) =>
  executionHarness(exchange, {
    ...over,
    symbol: SYMBOL,
    strategyId: 'sma-cross',
    nextId: () => ids.next(),
  });

/** The venue's order of Kairos's client order id (OKX is sent it in letters and digits). */
const atVenue = (sim: OkxSim, id: string) =>
  sim.state.orders().find((o) => o.clientOrderId === venueClientIds('okx').toVenue(id));

/** Base received minus base given, less the fees OKX charged in base. */
const baseDelta = (sim: OkxSim): Decimal =>
  sim.state
    .trades()
    .reduce(
      (s, t) =>
        (t.side === 'BUY' ? s.plus(t.qty) : s.minus(t.qty)).minus(
          t.commissionAsset === 'BTC' ? t.commission : 0,
        ),
      Dec(0) as Decimal,
    );

describe('CcxtExecutionClient against the OKX simulator (ccxt okx)', () => {
  let sim: OkxSim;
  afterEach(async () => {
    await sim.close();
  });

  it('places, fills, cancels and reads back orders by client order id; fees in the asset received', async () => {
    sim = await startOkxSim();
    const n = await node(await okxExchange(sim));
    const buy = n.send({ side: 'BUY', quantity: '0.5' });
    const rest = n.send({ side: 'BUY', quantity: '1', price: '100' });
    await n.client.idle();
    expect(n.alerts).toEqual([]);
    // OKX's place answer says only "placed": both are accepted, the fill comes by reconciliation.
    expect(n.exec.order(buy.clientOrderId)!.status).not.toBe('REJECTED');
    expect(atVenue(sim, buy.clientOrderId)).toMatchObject({ status: 'FILLED' });
    expect(atVenue(sim, rest.clientOrderId)).toMatchObject({ status: 'NEW' });
    const result = await reconcile(n.exec, n.client, n.bus, 0, Date.now());
    expect(result.drift).toEqual([]);
    expect(n.exec.order(buy.clientOrderId)).toMatchObject({ status: 'FILLED' });
    expect(n.exec.order(rest.clientOrderId)).toMatchObject({ status: 'ACCEPTED' });
    // The 0.1 % fee of a buy is charged (negative, OKX's sign) in BTC: 0.5 - 0.0005.
    expect(n.ledger.position(SYMBOL).quantity.toFixed()).toBe('0.4995');
    expect((await n.client.openOrders()).map((o) => o.clientOrderId)).toEqual([rest.clientOrderId]);
    n.cancel(rest.clientOrderId);
    await n.client.idle();
    expect(n.exec.order(rest.clientOrderId)).toMatchObject({
      status: 'CANCELED',
      reason: 'CANCELED_BY_USER',
    });
    expect(await n.client.orderByClientId(rest.clientOrderId)).toMatchObject({
      clientOrderId: rest.clientOrderId,
      status: 'CANCELED',
    });
    const btc = (await fetchVenueBalances(n.exchange)).find((b) => b.currency === 'BTC')!;
    expect(toDecimal(btc.total).toFixed()).toBe('10000.4995');
    expect(sim.state.errors).toEqual([]);
    await n.close();
  });

  it('a restart reconciles 250 fills (five to a millisecond) through fills-history pages of 100', async () => {
    sim = await startOkxSim({ rateLimitScale: 0 });
    const first = await node(await okxExchange(sim));
    const sent: Order[] = [];
    // 50 stamps of 5 market orders each: the five fills of a stamp share its millisecond.
    for (let stamp = 0; stamp < 50; stamp++) {
      for (let i = 0; i < 5; i++)
        sent.push(first.send({ side: (stamp + i) % 3 === 0 ? 'SELL' : 'BUY', quantity: '0.01' }));
      await first.client.idle();
      const t = sim.market.now();
      while (sim.market.now() === t) sim.market.step();
    }
    expect(sim.state.trades()).toHaveLength(250);
    expect(new Set(sim.state.trades().map((t) => t.time)).size).toBe(50);
    // The node stops before learning any fill (OKX's answers only say "placed"); it starts again
    // with the orders as it wrote them (accepted) and reconciles before trading.
    const written = sent.map((o) => first.exec.order(o.clientOrderId)!);
    expect(written.every((o) => o.status === 'ACCEPTED')).toBe(true);
    await first.close();

    const ids = new ClientOrderIds('sma-cross', sent.length);
    const second = await node(await okxExchange(sim), ids);
    for (const o of written) second.exec.restore(o);
    const result = await reconcile(second.exec, second.client, second.bus, 0, Date.now());
    expect(result.drift).toEqual([]);
    expect(result.fillsApplied).toBe(250);
    expect(second.alerts).toEqual([]);
    for (const o of sent) expect(second.exec.order(o.clientOrderId)!.status).toBe('FILLED');
    expect(second.ledger.position(SYMBOL).quantity.toFixed()).toBe(baseDelta(sim).toFixed());
    // Paged by time, 100 a page at most: more than one page was asked for.
    expect(sim.state.requests.get('GET /api/v5/trade/fills-history')).toBeGreaterThan(3);
    // One look-up per order the venue's open orders do not hold (all 250 are filled: each is
    // asked for by client id); a fill names its order's client id (clOrdId), so none is asked
    // for per fill.
    expect(sim.state.requests.get('GET /api/v5/trade/order')).toBe(250);
    await second.close();
  });

  it('a restart reconciles 250 fills of one order stamped in one millisecond, paged by billId (no VENUE_TRADES_HIDDEN)', async () => {
    sim = await startOkxSim({ rateLimitScale: 0, tradesPerFill: 250, tradesApartMs: 0 });
    const first = await node(await okxExchange(sim));
    const buy = first.send({ side: 'BUY', quantity: '0.25' });
    await first.client.idle();
    expect(sim.state.trades()).toHaveLength(250);
    expect(new Set(sim.state.trades().map((t) => t.time)).size).toBe(1);
    const written = first.exec.order(buy.clientOrderId)!;
    expect(written.status).toBe('ACCEPTED');
    await first.close();

    const second = await node(await okxExchange(sim), new ClientOrderIds('sma-cross', 1));
    second.exec.restore(written);
    const result = await reconcile(second.exec, second.client, second.bus, 0, Date.now());
    expect(second.alerts).toEqual([]);
    expect(result.drift).toEqual([]);
    expect(result.fillsApplied).toBe(250);
    expect(second.exec.order(buy.clientOrderId)).toMatchObject({ status: 'FILLED' });
    expect(second.ledger.position(SYMBOL).quantity.toFixed()).toBe(baseDelta(sim).toFixed());
    expect(sim.state.errors).toEqual([]);
    await second.close();
  });

  it('an order filled in 250 trades, then cancelled: every fill is fetched, page by page of 100 (no VENUE_FILLS_MISSING)', async () => {
    sim = await startOkxSim({ rateLimitScale: 0, tradesPerFill: 250 });
    const n = await node(await okxExchange(sim), undefined, { fillGraceMs: 20 });
    await expectEveryFillAfterCancel(n, sim, 250, venueClientIds('okx').toVenue);
    expect(sim.state.requests.get('GET /api/v5/trade/fills-history')).toBeGreaterThanOrEqual(3);
    await n.close();
  });

  /**
   * A create held inside the venue (`holdOrders`) past the client's 300 ms timeout: the order is
   * UNKNOWN, and reconciliation looks it up by client id while the venue may still take it. The
   * venue lets it through once the look-up has asked twice (the second 250 ms after the first,
   * past the 100 ms grace), or reconciliation has ended.
   */
  const lateCreate = async (createExpiryMs: number | undefined) => {
    sim = await startOkxSim();
    const n = await node(
      await okxExchange(sim, { timeoutMs: 300, createExpiryMs }),
      new ClientOrderIds('sma-cross'),
      { notFoundGraceMs: 100 },
    );
    sim.holdOrders();
    const buy = n.send({ side: 'BUY', quantity: '0.5', price: '20000' });
    await n.client.idle();
    expect(n.exec.order(buy.clientOrderId)).toMatchObject({
      status: 'UNKNOWN',
      reason: 'VENUE_TIMEOUT',
    });
    expect(sim.ordersInFlight()).toBe(1);
    const asked = () => sim.state.requests.get('GET /api/v5/trade/order') ?? 0;
    let settled = false;
    const result = reconcile(n.exec, n.client, n.bus, 0, Date.now()).finally(
      () => (settled = true),
    );
    // (A look-up that gives up within the grace ends reconciliation first: the order is lost.)
    await until(() => asked() >= 2 || settled, 10_000, 'two look-ups of the held order');
    await sim.releaseOrders();
    return { n, buy, result: await result };
  };

  it('a create taken by the venue after the not-found grace began (before its expTime) is found and linked, not lost', async () => {
    const { n, buy, result } = await lateCreate(3_000);
    // The header reached the venue: the send time + 3 s, on the venue's clock.
    expect(sim.state.expTimes).toHaveLength(1);
    const venue = atVenue(sim, buy.clientOrderId)!;
    expect(venue).toMatchObject({ status: 'NEW' });
    expect(sim.state.expTimes[0]! - venue.time).toBeGreaterThan(2_000);
    expect(result.drift).toEqual([]);
    expect(n.exec.order(buy.clientOrderId)).toMatchObject({
      status: 'ACCEPTED',
      venueOrderId: OkxIds.ordId(venue.orderId),
    });
    expect(n.alerts).toEqual([]);
    await n.close();
  });

  it('a create the venue would process after its expTime is refused (50036), and found not at the venue', async () => {
    // The default expiry: the request timeout (300 ms); the venue lets it through later.
    const { n, buy, result } = await lateCreate(undefined);
    expect(sim.state.expTimes).toHaveLength(1);
    expect(atVenue(sim, buy.clientOrderId)).toBeUndefined();
    expect(n.exec.order(buy.clientOrderId)).toMatchObject({
      status: 'REJECTED',
      reason: 'NOT_AT_VENUE',
    });
    expect(result.drift).toEqual([]);
    expect(sim.state.errors).toEqual([]);
    await n.close();
  });

  it('a venue clock past the expTime sent refuses the create: REJECTED VENUE_REQUEST_EXPIRED, the clock measured again', async () => {
    // OKX's clock 20 s ahead of ours (its signature window is 30 s): expTime, our clock + 5 s
    // (the request timeout) with no offset measured, has passed on arrival.
    sim = await startOkxSim({ clock: { now: () => Date.now() + 20_000 } });
    let remeasured = 0;
    const n = await node(await okxExchange(sim), undefined, { onClockError: () => remeasured++ });
    const buy = n.send({ side: 'BUY', quantity: '0.5', price: '20000' });
    await n.client.idle();
    expect(n.exec.order(buy.clientOrderId)).toMatchObject({
      status: 'REJECTED',
      reason: 'VENUE_REQUEST_EXPIRED',
    });
    expect(sim.state.expTimes).toHaveLength(1);
    expect(atVenue(sim, buy.clientOrderId)).toBeUndefined();
    expect(remeasured).toBe(1);
    await n.close();
  });

  it("a burst past an endpoint's limit (429, 50011, no Retry-After) pauses that endpoint for OKX's 2 s window, not the venue for a minute", async () => {
    // One clock for the venue's 2 s windows, the gate and the budget; it starts a window and
    // moves only when the test moves it.
    let t = Math.ceil(Date.now() / 2000) * 2000;
    const clock = { now: () => t };
    // ccxt places one order through batch-orders, which OKX counts against place order's 60 per
    // 2 s (a batch of one): 6 at this scale; orders-pending 6.
    sim = await startOkxSim({ clock, rateLimitScale: 0.1 });
    const budget = new MemoryBudget({
      rule: { capacity: 100_000, intervalMs: 60_000 },
      now: clock.now,
    });
    const gate: Alert[] = [];
    const n = await node(
      await okxExchange(sim, { budget, now: clock.now, onAlert: (a) => gate.push(a) }),
    );
    const placed = () => sim.state.requests.get('POST /api/v5/trade/batch-orders') ?? 0;
    const burst = Array.from({ length: 10 }, () =>
      n.send({ side: 'BUY', quantity: '0.01', price: '20000' }),
    );
    await n.client.idle();
    const status = (o: Order) => n.exec.order(o.clientOrderId)!;
    expect(burst.filter((o) => status(o).status === 'ACCEPTED')).toHaveLength(6);
    for (const o of burst.filter((o) => status(o).status !== 'ACCEPTED'))
      expect(status(o)).toMatchObject({ status: 'REJECTED', reason: 'VENUE_RATE_LIMITED' });
    expect(sim.state.rateLimited()).toBeGreaterThanOrEqual(1);
    // One pause, of that endpoint, for the window: the rest of the burst does not lengthen it.
    expect(gate.map((a) => a.code)).toEqual(['VENUE_RATE_LIMITED']);
    expect(gate[0]!.message).toMatch(
      /HTTP 429 rate limited on POST trade\/batch-orders until .*2000 ms/,
    );
    expect(await budget.blockedUntil('okx')).toBeUndefined();
    // Meanwhile other endpoints answer (the open orders), and a new order is not sent.
    expect(await n.client.openOrders()).toHaveLength(6);
    const before = placed();
    const during = n.send({ side: 'BUY', quantity: '0.01', price: '20000' });
    await n.client.idle();
    expect(status(during)).toMatchObject({ status: 'REJECTED', reason: 'VENUE_RATE_LIMITED' });
    expect(placed()).toBe(before);
    // 2 s later (the venue's next window), orders go through again.
    t += 2000;
    const after = n.send({ side: 'BUY', quantity: '0.01', price: '20000' });
    await n.client.idle();
    expect(status(after).status).toBe('ACCEPTED');
    expect(atVenue(sim, after.clientOrderId)).toMatchObject({ status: 'NEW' });
    expect(sim.state.openOrders()).toHaveLength(7);
    expect(sim.state.errors).toEqual([]);
    await n.close();
  });
});
