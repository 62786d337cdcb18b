import fc from 'fast-check';
import { ATR, EMA, MACD, RSI } from 'trading-signals';
import type { Bar } from '../../../../../src/trading/data/market-data.js';
import {
  atr,
  bollinger,
  ema,
  macd,
  rsi,
  sma,
  type Indicator,
  type IndicatorInput,
} from '../../../../../src/trading/strategy/indicators/index.js';
import {
  decodeNumber,
  encodeNumber,
} from '../../../../../src/trading/strategy/indicators/state-codec.js';
import type { JsonObject } from '../../../../../src/trading/strategy/strategy-context.js';

const INPUTS: IndicatorInput[] = ['close', 'open', 'high', 'low', 'hl2', 'hlc3', 'ohlc4', 'volume'];

/** Prices with up to 8 decimals and any magnitude a market shows, as float64. */
const price = fc.oneof(
  fc.integer({ min: 1, max: 2_000_000_000 }).map((n) => n / 1e8),
  fc.integer({ min: 1, max: 2_000_000_000 }).map((n) => n / 1e4),
  fc.double({ min: 1e-6, max: 1e9, noNaN: true }),
);
const bar = fc
  .tuple(price, price, price, price, fc.oneof(fc.constant(0), price))
  .map(([a, b, c, d, volume]): Bar => {
    const high = Math.max(a, b, c, d);
    const low = Math.min(a, b, c, d);
    return {
      instrumentId: 'X',
      openTime: 0,
      closeTime: 1,
      open: a,
      high,
      low,
      close: c,
      volume,
    };
  });
const period = fc.integer({ min: 1, max: 40 });

/** Any SDK indicator with random parameters, as a factory (a restore needs a fresh twin). */
const anyIndicator: fc.Arbitrary<{ label: string; make: () => Indicator<unknown> }> = fc.oneof(
  fc
    .tuple(period, fc.constantFrom(...INPUTS))
    .map(([p, i]) => ({ label: `sma ${p} ${i}`, make: () => sma(p, i) })),
  fc
    .tuple(period, fc.double({ min: 0.1, max: 4, noNaN: true }), fc.constantFrom(...INPUTS))
    .map(([p, k, i]) => ({ label: `bb ${p} ${k} ${i}`, make: () => bollinger(p, k, i) })),
  fc
    .tuple(period, fc.constantFrom(...INPUTS))
    .map(([p, i]) => ({ label: `ema ${p} ${i}`, make: () => ema(p, i) })),
  fc
    .tuple(period, fc.constantFrom(...INPUTS))
    .map(([p, i]) => ({ label: `rsi ${p} ${i}`, make: () => rsi(p, i) })),
  fc.tuple(period, period, period, fc.constantFrom(...INPUTS)).map(([fast, slow, signal, i]) => ({
    label: `macd ${fast} ${slow} ${signal} ${i}`,
    make: () => macd({ fast, slow, signal }, i),
  })),
  period.map((p) => ({ label: `atr ${p}`, make: () => atr(p) })),
);

/** Object.is on numbers, field by field on a value object. */
function same(a: unknown, b: unknown): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object')
    return Object.is(a, b);
  const ka = Object.keys(a);
  return (
    ka.join() === Object.keys(b).join() &&
    ka.every((k) => Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

/** What an indicator shows after each update. */
const seen = (ind: Indicator<unknown>) => [ind.value, ind.count, ind.isReady];

describe('indicator state: save, JSON, restore', () => {
  it('every indicator goes on bit for bit after a restore at any points (Object.is)', () => {
    fc.assert(
      fc.property(
        anyIndicator,
        fc.array(bar, { minLength: 1, maxLength: 250 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        ({ make }, bars, cuts, asValues) => {
          const whole = make();
          let part = make();
          const at = new Set(cuts.map((c) => c % bars.length));
          bars.forEach((b, i) => {
            if (at.has(i)) {
              // Through JSON text, into a fresh indicator: what a Lambda step does.
              const text = JSON.stringify(part.saveState());
              part = make();
              part.restoreState(JSON.parse(text) as JsonObject);
              expect(seen(part).every((x, j) => same(x, seen(whole)[j]))).toBe(true);
            }
            if (asValues) {
              whole.updateValue(b.close);
              part.updateValue(b.close);
            } else {
              whole.updateBar(b);
              part.updateBar(b);
            }
            const [w, p] = [seen(whole), seen(part)];
            if (!w.every((x, j) => same(x, p[j]))) throw new Error(`bar ${i}: ${w} != ${p}`);
          });
          expect(JSON.stringify(part.saveState())).toBe(JSON.stringify(whole.saveState()));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('EMA, RSI, MACD and ATR give the very doubles of trading-signals (in-process unchanged)', () => {
    fc.assert(
      fc.property(
        period,
        period,
        period,
        fc.array(bar, { minLength: 1, maxLength: 200 }),
        (p, q, r, bars) => {
          const ours = {
            e: ema(p),
            r: rsi(p),
            m: macd({ fast: p, slow: q, signal: r }),
            a: atr(p),
          };
          const lib = {
            e: new EMA(p),
            r: new RSI(p),
            m: new MACD(new EMA(p), new EMA(q), new EMA(r)),
            a: new ATR(p),
          };
          let n = 0;
          const held: Record<'e' | 'r' | 'm' | 'a', unknown> = {
            e: null,
            r: null,
            m: null,
            a: null,
          };
          for (const b of bars) {
            n++;
            Object.values(ours).forEach((ind) => ind.updateBar(b));
            const e = lib.e.update(b.close, false);
            const rv = lib.r.update(b.close, false);
            const m = lib.m.update(b.close, false);
            const a = lib.a.update(b, false);
            // The SDK's rules: a value once `period` inputs came (RSI: period + 1, MACD: slow).
            if (n >= p) held.e = e;
            if (rv !== null && n >= p + 1) held.r = rv;
            if (m) held.m = { macd: m.macd, signal: m.signal, histogram: m.histogram };
            if (a !== null) held.a = a;
            expect(same(ours.e.value, held.e)).toBe(true);
            expect(same(ours.r.value, held.r)).toBe(true);
            expect(same(ours.m.value, held.m)).toBe(true);
            expect(same(ours.a.value, held.a)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('numbers JSON has no literal for (-0, NaN, ±Infinity) come back too', () => {
    fc.assert(
      fc.property(fc.double(), (x) => {
        const back = decodeNumber(JSON.parse(JSON.stringify(encodeNumber(x))) as number, 'x');
        expect(Object.is(back, x)).toBe(true);
      }),
    );
    for (const x of [-0, NaN, Infinity, -Infinity]) expect(typeof encodeNumber(x)).toBe('string');
  });

  it("refuses another indicator's state, or a broken one, naming it", () => {
    const a = ema(5);
    [1, 2, 3].forEach((x) => a.updateValue(x));
    expect(() => ema(6).restoreState(a.saveState())).toThrow(
      'indicator state: EMA(6): the state is of "EMA(5)"',
    );
    expect(() => ema(5).restoreState({ ...a.saveState(), ema: 'x' })).toThrow(
      'indicator state: EMA(5).ema is not a number',
    );
    const s = sma(3);
    const saved = s.saveState();
    expect(() =>
      sma(3).restoreState({ ...saved, sum: { ...(saved.sum as JsonObject), ring: [1] } }),
    ).toThrow('indicator state: SMA(3).sum.ring is not a list of 3 numbers');
    expect(() => rsi(3).restoreState({ name: 'RSI(3)', n: -1 })).toThrow('n is not a count');
    const b = bollinger(2);
    expect(() => b.restoreState({ ...b.saveState(), value: [1, 2] })).toThrow(
      'BB(2,2).value is not a list of 3 numbers',
    );
  });
});
