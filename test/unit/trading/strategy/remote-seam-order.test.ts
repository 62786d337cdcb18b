import { SimulatedExchange } from '../../../../src/trading/backtest/simulated-exchange.js';
import { Endpoints } from '../../../../src/trading/bus/topics.js';
import { SimClock } from '../../../../src/trading/clock/sim-clock.js';
import type { Bar } from '../../../../src/trading/data/market-data.js';
import { Kernel } from '../../../../src/trading/kernel/kernel.js';
import { defineStrategy } from '../../../../src/trading/strategy/index.js';
import { RemoteSeam } from '../../../../src/trading/strategy/remote-seam.js';
import type { SeamRequest } from '../../../../src/trading/strategy/seam-protocol.js';
import { StrategySide } from '../../../../src/trading/strategy/strategy-side.js';
import { instrument } from '../../../support/builders.js';

// When a venue's answer reaches a remote strategy (RemoteSeam), alone: an answer that arrives
// while a call is out is heard after the events of that call's own commands, as in-process; a
// host that holds answers (a replayed bar, `hold`) has none handed over until it lets go; calls
// made without waiting run one at a time. (The Lambda crash test covers these through whole
// runs; here each rule is tested alone.)

const INST = instrument({ id: 'ORCL', base: 'ORCL', quote: 'USD', lotSize: '1' });

/** Each bar: a limit buy far under the market (it rests), then one each bar after. Logs events. */
const listener = defineStrategy({
  name: 'listener',
  params: {},
  init: () => ({ heard: [] as string[] }),
  onBar(ctx, bar) {
    ctx.buy('1', { type: 'LIMIT', price: String(Math.floor(bar.close / 2)) });
  },
  onOrderEvent(ctx, e) {
    ctx.state.heard.push(`${e.kind} ${e.clientOrderId.replace(/^.*-/, '#')}`);
  },
});

const bar = (i: number): Bar => ({
  instrumentId: INST.id,
  openTime: i * 60_000,
  closeTime: (i + 1) * 60_000,
  open: 100,
  high: 101,
  low: 99,
  close: 100,
  volume: 1_000,
});

/**
 * A kernel with a simulated exchange, the listener behind a RemoteSeam, and a transport that runs
 * `during(request)` while a request is out (what a venue does meanwhile), then answers.
 */
function rig() {
  const kernel = new Kernel({
    accountId: 'paper',
    clock: new SimClock(0),
    instruments: [INST],
    cash: { USD: '100000' },
    venue: (ports) => new SimulatedExchange({ venue: 'SIM', instruments: [INST] }, ports.report),
  });
  const side = new StrategySide(listener, {} as never, 'listener', INST);
  let during: (req: SeamRequest) => void = () => undefined;
  const host = {
    strategyId: 'listener',
    instrument: INST,
    services: (random: () => number) =>
      kernel.strategyServices('listener', random, () => undefined),
  };
  let out = 0;
  let mostOut = 0;
  const seam = new RemoteSeam(host, async (text) => {
    const req = JSON.parse(text) as SeamRequest;
    mostOut = Math.max(mostOut, ++out);
    try {
      await Promise.resolve();
      during(req);
      return side.handle(text);
    } finally {
      out--;
    }
  });
  /** What the strategy has heard (its state), read through the seam's snapshot. */
  const heard = async () => ((await seam.snapshot()).state as { heard: string[] }).heard;
  /** A cancel of the strategy's order `n` sent to the venue by someone else (an operator). */
  const cancel = (n: number) =>
    kernel.bus.send(Endpoints.risk, {
      kind: 'CancelOrder',
      clientOrderId: `listener-${n}`,
      strategyId: 'listener',
      ts: 0,
    });
  return {
    kernel,
    seam,
    heard,
    cancel,
    setDuring: (f: (req: SeamRequest) => void) => (during = f),
    /** The most requests out at once. */
    mostOut: () => mostOut,
  };
}

/** The first order's id as the strategy logs it. */
const ORDER_1 = '#1';

describe('RemoteSeam: when answers that come while a call is out are heard', () => {
  it('after the events of the call’s own commands, as in-process', async () => {
    const r = rig();
    await r.seam.start({ state: null, ordersMade: 0, random: 1 });
    await r.seam.onBar(bar(0)); // order #1 rests
    const before = (await r.heard()).length;
    // While the second bar's call is out, order #1 is canceled at the venue.
    r.setDuring((req) => {
      if (req.kind === 'bar') r.cancel(1);
    });
    const out = await r.seam.onBar(bar(1));
    r.setDuring(() => undefined);
    const heard = (await r.heard()).slice(before);
    // The bar's own order (#2) is heard submitted and accepted before #1's cancel answers.
    const own = heard.findIndex((h) => h.endsWith(' #2'));
    const answer = heard.findIndex((h) => h.endsWith(` ${ORDER_1}`));
    expect(own).toBeGreaterThanOrEqual(0);
    expect(answer).toBeGreaterThan(own);
    expect(heard.slice(answer)).toEqual(heard.filter((h) => h.endsWith(` ${ORDER_1}`)));
    expect(out.events).toBe(heard.length);
  });

  it('not at all while the host holds them, and in the order they came once it lets go', async () => {
    const r = rig();
    await r.seam.start({ state: null, ordersMade: 0, random: 1 });
    await r.seam.onBar(bar(0));
    const before = (await r.heard()).length;
    r.seam.hold(true);
    r.setDuring((req) => {
      if (req.kind === 'bar') r.cancel(1);
    });
    await r.seam.onBar(bar(1));
    r.setDuring(() => undefined);
    expect(await r.seam.drain()).toMatchObject({ events: 0 });
    const held = (await r.heard()).slice(before);
    expect(held.some((h) => h.endsWith(` ${ORDER_1}`))).toBe(false);
    expect(held.some((h) => h.endsWith(' #2'))).toBe(true);
    r.seam.hold(false);
    const released = await r.seam.drain();
    const after = (await r.heard()).slice(before + held.length);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((h) => h.endsWith(` ${ORDER_1}`))).toBe(true);
    expect(released.events).toBe(after.length);
  });

  it('calls made without waiting run one at a time: the second one’s view holds the first one’s order', async () => {
    const r = rig();
    await r.seam.start({ state: null, ordersMade: 0, random: 1 });
    const views: number[] = [];
    r.setDuring((req) => {
      if (req.kind === 'bar') views.push(req.view.orders.length);
    });
    // Not awaited one by one: as a replayed bar's host calls.
    const [a, b] = [r.seam.onBar(bar(0)), r.seam.onBar(bar(1))];
    await Promise.all([a, b]);
    expect(r.mostOut()).toBe(1);
    expect(views).toEqual([0, 1]);
    expect(r.kernel.exec.allOrders().map((o) => o.clientOrderId)).toEqual([
      'listener-1',
      'listener-2',
    ]);
  });
});
