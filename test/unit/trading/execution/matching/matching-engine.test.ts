import fc from 'fast-check';
import { Dec, type Decimal } from '../../../../../src/trading/core/decimal.js';
import { price as toPrice } from '../../../../../src/trading/core/money.js';
import {
  MatchingEngine,
  type MatchableOrder,
} from '../../../../../src/trading/execution/matching/matching-engine.js';
import type { OrderType, TimeInForce } from '../../../../../src/trading/model/order-types.js';

const TICK = Dec('0.01');
const LOT = Dec('0.001');
const grid = { tickSize: TICK, lotSize: LOT };

const onGrid = (step: Decimal, min: number, max: number) =>
  fc.integer({ min, max }).map((k) => Dec(k).times(step));
const priceArb = onGrid(TICK, 1, 2_000_000).map((d) => toPrice(d));
const qtyArb = onGrid(LOT, 1, 1_000_000);
const num = (d: Decimal) => Number(d.toString());

const orderArb = fc
  .record({
    side: fc.constantFrom('BUY' as const, 'SELL' as const),
    type: fc.constantFrom<OrderType>('MARKET', 'LIMIT', 'STOP_MARKET', 'STOP_LIMIT'),
    price: priceArb,
    triggerPrice: priceArb,
    timeInForce: fc.constantFrom<TimeInForce>('GTC', 'IOC', 'FOK'),
  })
  .map((o): MatchableOrder => ({
    ...o,
    price: o.type === 'LIMIT' || o.type === 'STOP_LIMIT' ? o.price : null,
    triggerPrice: o.type.startsWith('STOP') ? o.triggerPrice : null,
  }));
const stateArb = fc.record({ leaves: qtyArb, fresh: fc.boolean(), triggered: fc.boolean() });
/** A trade's available size: unlimited, none, or an amount off the lot grid. */
const availableArb = fc.option(
  fc.integer({ min: 0, max: 2_000_000_000 }).map((k) => Dec(k).times('0.000001')),
);
const pathArb = fc
  .tuple(priceArb, priceArb, priceArb, priceArb)
  .map(([o, a, b, c]) => [o, a, b, c].map(num) as readonly number[]);
const engines = [
  new MatchingEngine(),
  new MatchingEngine({ slippageBps: 25 }),
  new MatchingEngine({ buyFeeIn: 'base', feeDecimals: 8 }),
];

/** True when a fill at `p` is at the limit or better. */
function withinLimit(o: MatchableOrder, p: Decimal): boolean {
  return o.side === 'BUY' ? p.lte(o.price!) : p.gte(o.price!);
}

describe('MatchingEngine', () => {
  it('never fills more than the order leaves, nor more than a trade offers, and on the lot grid', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...engines),
        orderArb,
        stateArb,
        priceArb,
        availableArb,
        (engine, o, s, p, available) => {
          const { match } = engine.matchTrade(o, s, num(p), available, grid);
          if (!match) return;
          expect(match.quantity.gt(0)).toBe(true);
          expect(match.quantity.lte(s.leaves)).toBe(true);
          if (available !== null) expect(match.quantity.lte(available)).toBe(true);
          expect(match.quantity.mod(LOT).eq(0)).toBe(true);
          if (o.timeInForce === 'FOK') expect(match.quantity.eq(s.leaves)).toBe(true);
        },
      ),
    );
  });

  it('fills a bar whole or not at all', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...engines),
        orderArb,
        stateArb,
        pathArb,
        (engine, o, s, path) => {
          const { match } = engine.matchPath(o, s, path, grid);
          if (match) expect(match.quantity.eq(s.leaves)).toBe(true);
        },
      ),
    );
  });

  it('never fills a limit or stop-limit order through its limit price, on a trade or a bar', () => {
    const limits = orderArb.filter((o) => o.price !== null);
    fc.assert(
      fc.property(
        fc.constantFrom(...engines),
        limits,
        stateArb,
        priceArb,
        pathArb,
        (engine, o, s, p, path) => {
          const t = engine.matchTrade(o, s, num(p), null, grid).match;
          if (t) expect(withinLimit(o, t.price)).toBe(true);
          const b = engine.matchPath(o, s, path, grid).match;
          if (b) expect(withinLimit(o, b.price)).toBe(true);
        },
      ),
    );
  });

  it('a crossing limit order takes at the market price when fresh, rests as a maker at its limit later', () => {
    fc.assert(
      fc.property(priceArb, priceArb, qtyArb, fc.boolean(), (limit, market, leaves, buy) => {
        const o: MatchableOrder = {
          side: buy ? 'BUY' : 'SELL',
          type: 'LIMIT',
          price: limit,
          triggerPrice: null,
          timeInForce: 'GTC',
        };
        const engine = new MatchingEngine();
        const crosses = buy ? market.lte(limit) : market.gte(limit);
        const fresh = engine.matchTrade(
          o,
          { leaves, fresh: true, triggered: false },
          num(market),
          null,
          grid,
        );
        const later = engine.matchTrade(
          o,
          { leaves, fresh: false, triggered: false },
          num(market),
          null,
          grid,
        );
        expect(engine.wouldTake(o.side, limit, num(market))).toBe(crosses);
        if (!crosses) {
          expect(fresh.match).toBeNull();
          expect(later.match).toBeNull();
          return;
        }
        expect(fresh.match!.price.eq(market)).toBe(true);
        expect(fresh.match!.liquidity).toBe('TAKER');
        expect(later.match!.price.eq(limit)).toBe(true);
        expect(later.match!.liquidity).toBe('MAKER');
      }),
    );
  });

  it('charges a buy in the asset the switch names and a sell in the quote, exactly', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('quote' as const, 'base' as const),
        fc.constantFrom('BUY' as const, 'SELL' as const),
        priceArb,
        qtyArb,
        onGrid(Dec('0.0001'), 0, 100),
        (buyFeeIn, side, p, q, rate) => {
          const fee = new MatchingEngine({ buyFeeIn }).fee(side, p, q, rate, 'BTC', 'USDT');
          const inBase = side === 'BUY' && buyFeeIn === 'base';
          expect(fee.currency).toBe(inBase ? 'BTC' : 'USDT');
          // Exact: the decimal product, no float rounding anywhere.
          expect(fee.amount.eq(inBase ? q.times(rate) : p.times(q).times(rate))).toBe(true);
        },
      ),
    );
  });

  it('rounds a commission half up to the venue precision when asked, never otherwise', () => {
    fc.assert(
      fc.property(priceArb, qtyArb, onGrid(Dec('0.00001'), 1, 1000), (p, q, rate) => {
        const exact = p.times(q).times(rate);
        const fee = new MatchingEngine({ feeDecimals: 8 }).fee('SELL', p, q, rate, 'BTC', 'USDT');
        expect(fee.amount.eq(exact.round(8, Dec.roundHalfUp))).toBe(true);
        expect(fee.amount.minus(exact).abs().lte('0.000000005')).toBe(true);
      }),
    );
    expect(
      new MatchingEngine()
        .fee('BUY', Dec('0.1'), Dec('3'), Dec('0.001'), 'B', 'Q')
        .amount.toFixed(),
    ).toBe('0.0003');
  });

  it('examples: slippage on the tick grid, stops trigger then fill, FOK waits for size', () => {
    const engine = new MatchingEngine({ slippageBps: 10 });
    const stop: MatchableOrder = {
      side: 'BUY',
      type: 'STOP_MARKET',
      price: null,
      triggerPrice: toPrice('101'),
      timeInForce: 'GTC',
    };
    const s = { leaves: Dec('2'), fresh: false, triggered: false };
    expect(engine.matchTrade(stop, s, 100.5, null, grid)).toEqual({
      match: null,
      triggered: false,
    });
    const hit = engine.matchTrade(stop, s, 101.02, null, grid).match!;
    // 101.02 × 1.001 = 101.12102 → up to the tick.
    expect([hit.price.toFixed(), hit.quantity.toFixed(), hit.liquidity]).toEqual([
      '101.13',
      '2',
      'TAKER',
    ]);
    const path = engine.matchPath(stop, s, [100, 99, 102, 101.5], grid);
    expect(path.match!.at).toBe(2);
    const fok: MatchableOrder = {
      ...stop,
      type: 'LIMIT',
      price: toPrice('100'),
      triggerPrice: null,
      timeInForce: 'FOK',
    };
    expect(engine.matchTrade(fok, s, 99, Dec('1.9999'), grid).match).toBeNull();
    expect(engine.matchTrade(fok, s, 99, Dec('2'), grid).match!.quantity.toFixed()).toBe('2');
  });
});
