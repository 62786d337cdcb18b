import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import fc from 'fast-check';
import smaCross from '../../../../examples/strategies/sma-cross.js';
import { SimulatedExchange } from '../../../../src/trading/backtest/simulated-exchange.js';
import { Topics } from '../../../../src/trading/bus/topics.js';
import { SimClock } from '../../../../src/trading/clock/sim-clock.js';
import type { Bar } from '../../../../src/trading/data/market-data.js';
import { openBars } from '../../../../src/trading/venues/replay/open-data.js';
import { Kernel } from '../../../../src/trading/kernel/kernel.js';
import type { Fill } from '../../../../src/trading/model/fill.js';
import type { OrderEvent } from '../../../../src/trading/model/order-events.js';
import type { Order } from '../../../../src/trading/model/order.js';
import type { StrategyDefinition } from '../../../../src/trading/strategy/define-strategy.js';
import { InProcessSeam } from '../../../../src/trading/strategy/in-process-seam.js';
import { defineStrategy, param, resolveParams } from '../../../../src/trading/strategy/index.js';
import { RemoteSeam } from '../../../../src/trading/strategy/remote-seam.js';
import { StrategyError } from '../../../../src/trading/strategy/strategy-error.js';
import type {
  StrategySeam,
  StrategySnapshotJson,
  StrategyStart,
} from '../../../../src/trading/strategy/strategy-seam.js';
import { StrategySide } from '../../../../src/trading/strategy/strategy-side.js';
import type { StrategyTransport } from '../../../../src/trading/strategy/seam-protocol.js';
import { portTransport, serveStrategy } from '../../../../src/trading/strategy/port-transport.js';
import { instrument } from '../../../support/builders.js';
import { DATA } from '../../../support/run-cli.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStrategy = StrategyDefinition<any, any, any>;
type Mode = 'in-process' | 'remote';

const ORCL = instrument({ id: 'ORCL', base: 'ORCL', quote: 'USD', lotSize: '1' });

/**
 * The only way the host reaches the strategy side: a function of one string to one string. It
 * refuses anything else, and counts what crossed.
 */
function textOnly(
  side: { handle(request: string): string },
  crossed: string[],
  tamper: (reply: string) => string = (r) => r,
) {
  return async (request: unknown): Promise<string> => {
    if (typeof request !== 'string') throw new TypeError('only text may cross the seam');
    crossed.push(request);
    const reply: unknown = tamper(side.handle(request));
    if (typeof reply !== 'string') throw new TypeError('only text may cross the seam');
    crossed.push(reply);
    return reply;
  };
}

interface Run {
  readonly orders: ReturnType<typeof outcome>[];
  readonly fills: ReturnType<typeof fillOf>[];
  readonly logs: string[];
  readonly snapshot: StrategySnapshotJson;
  readonly crossed: string[];
  readonly error: unknown;
}

const outcome = (o: Order) => ({
  id: o.clientOrderId,
  side: o.side,
  type: o.type,
  quantity: o.quantity.toFixed(),
  price: o.price?.toFixed() ?? null,
  status: o.status,
  reason: o.reason,
  filled: o.filledQuantity.toFixed(),
  at: o.createdAt,
});
const fillOf = (f: Fill) => [f.clientOrderId, f.price.toFixed(), f.quantity.toFixed(), f.ts];

/**
 * A backtest-like run: the kernel (simulated exchange, risk, OMS, ledger) publishes each bar, the
 * seam's call is awaited before the next bar.
 */
async function run(
  def: AnyStrategy,
  params: Record<string, unknown>,
  bars: readonly Bar[],
  mode: Mode,
  start: StrategyStart = { state: null, ordersMade: 0, random: 7 },
  restartAt = -1,
  tamper?: (reply: string) => string,
  via?: (handle: (request: string) => string) => StrategyTransport,
): Promise<Run> {
  const inst = ORCL;
  const kernel = new Kernel({
    accountId: 'paper',
    clock: new SimClock(bars[0]?.openTime ?? 0),
    instruments: [inst],
    cash: { USD: '100000' },
    venue: (ports) => new SimulatedExchange({ venue: 'SIM', instruments: [inst] }, ports.report),
  });
  const fills: Fill[] = [];
  kernel.bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) => {
    if (e.kind === 'OrderFilled') fills.push(e.fill);
  });
  const logs: string[] = [];
  const host = {
    strategyId: def.name,
    instrument: inst,
    services: (random: () => number) =>
      kernel.strategyServices(def.name, random, (_sid, ts, m) => logs.push(`${ts} ${m}`)),
  };
  const resolved = resolveParams(def.params, params) as never;
  const crossed: string[] = [];
  // Text only, straight to the strategy side, or through a message port when `via` says so.
  const transportTo = (side: { handle(request: string): string }): StrategyTransport =>
    via ? via((request) => side.handle(request)) : textOnly(side, crossed, tamper);
  const open = (): StrategySeam =>
    mode === 'in-process'
      ? new InProcessSeam(def, resolved, host)
      : new RemoteSeam(host, transportTo(new StrategySide(def, resolved, def.name, inst)));
  let seam = open();
  let pending: unknown;
  kernel.bus.subscribe<Bar>(Topics.bars(inst.id), (bar) => {
    pending = seam.onBar(bar);
  });
  let error: unknown = null;
  try {
    await seam.start(start);
    for (const [i, bar] of bars.entries()) {
      if (i === restartAt) {
        // A new strategy side, resumed from the snapshot and warmed on the bars it saw.
        const saved = await seam.snapshot();
        seam = open();
        await seam.start(JSON.parse(JSON.stringify(saved)) as StrategySnapshotJson);
        for (const seen of bars.slice(0, i)) await seam.warm(seen);
      }
      kernel.onBar(bar);
      await pending;
      await seam.drain();
    }
  } catch (e) {
    error = e;
  }
  const snapshot = error ? { state: {}, ordersMade: 0, random: [] } : await seam.snapshot();
  return {
    orders: kernel.exec.allOrders().map(outcome),
    fills: fills.map(fillOf),
    logs,
    snapshot,
    crossed,
    error,
  };
}

async function orcl(count: number): Promise<Bar[]> {
  const out: Bar[] = [];
  const file = path.join(DATA, 'backtrader/orcl-1995-2014.txt');
  for await (const batch of openBars(file, { instrumentId: 'ORCL' })) {
    out.push(...batch);
    if (out.length >= count) break;
  }
  return out.slice(0, count);
}

/** Makes every kind of command on a seeded coin: market and limit buys, sells, cancels, denials. */
const busy = defineStrategy({
  name: 'busy',
  params: { size: param.decimal('3') },
  init: () => ({ events: 0, denied: 0, bars: 0 }),
  onBar(ctx, bar) {
    ctx.state.bars++;
    // Read before deciding: after a submit the remote side only knows it provisionally.
    ctx.log(
      `open ${ctx.openOrders().length} pos ${ctx.position().quantity.toFixed()} cash ${ctx.cash().toFixed()}`,
    );
    const r = ctx.random();
    if (r < 0.25) ctx.buy(ctx.params.size);
    else if (r < 0.45) ctx.buy('2', { price: (bar.close * 0.98).toFixed(4) });
    else if (r < 0.6 && ctx.position().isLong) ctx.sell(ctx.position().quantity);
    else if (r < 0.7) ctx.cancelAll();
    else if (r < 0.75) ctx.buy('100000000');
    else if (r < 0.8) ctx.buy('0');
    else if (r < 0.85) ctx.sell('1', { price: (bar.close * 1.05).toFixed(4) });
  },
  onOrderEvent(ctx, e) {
    ctx.state.events++;
    if (e.kind === 'OrderDenied') ctx.state.denied++;
    if (e.kind === 'OrderAccepted' && ctx.random() < 0.3) ctx.cancel(e.clientOrderId);
  },
});

describe('the strategy seam', () => {
  let bars: Bar[];
  beforeAll(async () => {
    bars = await orcl(700);
  });

  it('sma-cross makes exactly the same orders and fills behind the remote seam', async () => {
    const params = { fast: 5, slow: 20, size: '100' };
    const local = await run(smaCross, params, bars, 'in-process');
    const remote = await run(smaCross, params, bars, 'remote');
    expect(local.error).toBeNull();
    expect(remote.error).toBeNull();
    expect(local.orders.length).toBeGreaterThan(10);
    expect(remote.orders).toEqual(local.orders);
    expect(remote.fills).toEqual(local.fills);
    expect(remote.snapshot).toEqual(local.snapshot);
    // Everything crossed as text, both ways: a request and a reply per call.
    expect(remote.crossed.length).toBeGreaterThan(2 * bars.length);
    expect(local.crossed).toEqual([]);
  });

  it('any seed and any prices: the same orders, fills, logs and state both ways', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.array(fc.double({ min: 0.9, max: 1.1, noNaN: true }), { minLength: 20, maxLength: 60 }),
        async (seed, moves) => {
          let px = 20;
          const walk = moves.map((m, i): Bar => {
            const open = px;
            px = Math.max(1, Math.round(px * m * 100) / 100);
            return {
              instrumentId: 'ORCL',
              openTime: i * 60_000,
              closeTime: (i + 1) * 60_000,
              open,
              high: Math.max(open, px) + 0.5,
              low: Math.max(0.5, Math.min(open, px) - 0.5),
              close: px,
              volume: 1000,
            };
          });
          const start = { state: null, ordersMade: 0, random: seed };
          const local = await run(busy, {}, walk, 'in-process', start);
          const remote = await run(busy, {}, walk, 'remote', start);
          expect(remote.error).toBeNull();
          expect(local.orders.length).toBeGreaterThan(0);
          expect(remote.orders).toEqual(local.orders);
          expect(remote.fills).toEqual(local.fills);
          expect(remote.logs).toEqual(local.logs);
          expect(remote.snapshot).toEqual(local.snapshot);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('state round-trips: a new strategy side resumed from a snapshot goes on as if never stopped', async () => {
    const params = { fast: 5, slow: 20, size: '100' };
    const local = await run(smaCross, params, bars, 'in-process');
    const restarted = await run(smaCross, params, bars, 'remote', undefined, 350);
    expect(restarted.error).toBeNull();
    expect(restarted.orders.filter((o) => o.at > bars[350]!.openTime).length).toBeGreaterThan(2);
    expect(restarted.orders).toEqual(local.orders);
    expect(restarted.fills).toEqual(local.fills);
    expect(restarted.snapshot).toEqual(local.snapshot);
  });

  it('a restart of the busy strategy, at any bar, changes nothing (random state included)', async () => {
    const short = bars.slice(0, 60);
    const local = await run(busy, {}, short, 'in-process');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: short.length - 1 }), async (at) => {
        const restarted = await run(busy, {}, short, 'remote', undefined, at);
        expect(restarted.orders).toEqual(local.orders);
        expect(restarted.snapshot).toEqual(local.snapshot);
      }),
      { numRuns: 10 },
    );
  });

  it('a throw behind the seam is the same StrategyError as in-process', async () => {
    const throwsAt = defineStrategy({
      name: 'throws-at',
      params: { at: param.int(3, { min: 0 }) },
      init: () => ({ n: 0 }),
      onBar(ctx) {
        if (ctx.state.n === ctx.params.at) throw new TypeError(`bad thing at ${ctx.state.n}`);
        ctx.state.n += 1;
        ctx.buy('1');
      },
    });
    const local = await run(throwsAt, {}, bars.slice(0, 10), 'in-process');
    const remote = await run(throwsAt, {}, bars.slice(0, 10), 'remote');
    expect(local.error).toBeInstanceOf(StrategyError);
    expect(remote.error).toBeInstanceOf(StrategyError);
    const what = (e: unknown) => {
      const s = e as StrategyError;
      return [s.code, s.strategy, s.phase, s.barIndex, s.ts, s.message];
    };
    expect(what(remote.error)).toEqual(what(local.error));
    expect(what(remote.error)).toEqual([
      'STRATEGY_ERROR',
      'throws-at',
      'onBar',
      3,
      bars[3]!.closeTime,
      'bad thing at 3',
    ]);
    expect(remote.orders).toEqual(local.orders);
  });

  it('a RangeError from init is PARAM_INVALID behind the seam too', async () => {
    const remote = await run(smaCross, { fast: 20, slow: 30 }, bars.slice(0, 2), 'remote');
    expect(remote.error).toBeNull();
    const refuses = defineStrategy({
      name: 'refuses',
      init: (): { x: number } => {
        throw new RangeError('param "x": must be less than "y"');
      },
    });
    const bad = await run(refuses, {}, bars.slice(0, 2), 'remote');
    expect(bad.error).toBeInstanceOf(StrategyError);
    expect((bad.error as StrategyError).code).toBe('PARAM_INVALID');
    expect((bad.error as StrategyError).phase).toBe('init');
  });

  it('a strategy side that breaks the protocol fails the call with STRATEGY_SEAM', async () => {
    const params = { fast: 5, slow: 20, size: '100' };
    const start = { state: null, ordersMade: 0, random: 7 };
    const forged = await run(smaCross, params, bars, 'remote', start, -1, (r) =>
      r.replace(/"clientOrderId":"sma-cross-1"/g, '"clientOrderId":"sma-cross-9"'),
    );
    expect(forged.error).toMatchObject({ code: 'STRATEGY_SEAM' });
    expect(String(forged.error)).toContain('next client order id sma-cross-1');
    expect(forged.orders).toEqual([]);
    const garbled = await run(smaCross, params, bars, 'remote', start, -1, () => '{"ok":1}');
    expect(garbled.error).toMatchObject({ code: 'STRATEGY_SEAM' });
    const text = await run(smaCross, params, bars, 'remote', start, -1, () => 'not json');
    expect(text.error).toMatchObject({ code: 'STRATEGY_SEAM' });
  });

  it('through a message port (what a worker uses): the same orders, fills and state', async () => {
    const params = { fast: 5, slow: 20, size: '100' };
    const local = await run(smaCross, params, bars, 'in-process');
    const channel = new MessageChannel();
    const posted: unknown[] = [];
    channel.port1.on('message', (m: unknown) => posted.push(m));
    try {
      const viaPort = await run(smaCross, params, bars, 'remote', undefined, -1, undefined, (h) => {
        serveStrategy(channel.port2, h);
        return portTransport(channel.port1);
      });
      expect(viaPort.error).toBeNull();
      expect(viaPort.orders).toEqual(local.orders);
      expect(viaPort.fills).toEqual(local.fills);
      expect(viaPort.snapshot).toEqual(local.snapshot);
      expect(posted.length).toBeGreaterThan(bars.length);
      expect(posted.every((m) => typeof m === 'string')).toBe(true);
    } finally {
      channel.port1.close();
      channel.port2.close();
    }
  });
});
