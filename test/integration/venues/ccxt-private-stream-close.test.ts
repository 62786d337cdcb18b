import type { Exchange } from 'ccxt';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import { simExchange, startSim, until } from '../../support/ccxt-sim.js';
import { executionHarness } from '../../support/execution-harness.js';

/**
 * A live account's private streams (`watchOrders`, `watchMyTrades`: Binance's `/ws-api/v3`) end
 * with its client: closed while they are still connecting (an account checked and dropped at
 * once, as `POST /accounts` does under leases; a server stopped right after it started), no
 * socket of the client stays open at the venue. ccxt closes only the sockets it has: a watch
 * that had not made its socket yet (loading the markets over REST first) made it after the
 * close, and it stayed open, subscribed, until the process ended (a second `/ws-api/v3` socket
 * at the simulator after a `kairos serve` restart).
 */
describe('closing a ccxt client whose private streams are connecting', () => {
  let sim: BinanceSim;
  afterEach(async () => {
    await sim.close();
  });

  /** The stream exchange, with its watch calls counted until each settles. */
  const watched = (stream: Exchange) => {
    const pending = new Set<Promise<unknown>>();
    for (const name of ['watchOrders', 'watchMyTrades'] as const) {
      const watch = stream[name].bind(stream) as (...a: unknown[]) => Promise<unknown>;
      Object.assign(stream, {
        [name]: (...a: unknown[]) => {
          const p = watch(...a);
          pending.add(p);
          const done = () => pending.delete(p);
          p.then(done, done);
          return p;
        },
      });
    }
    return pending;
  };

  it('leaves no private socket open at the venue', async () => {
    sim = await startSim();
    // A new private connection's stream client: its markets not loaded (as a server makes it).
    const stream = await simExchange(sim, { pro: true });
    expect(stream.markets).toBeUndefined();
    const pending = watched(stream);
    const h = await executionHarness(await simExchange(sim), { stream });
    const privateSockets = () => sim.state.wsConnections() - sim.state.streamConnections();
    h.client.start();
    expect(pending.size).toBe(2);
    await h.client.close();
    // Either its watches are over and their sockets closed, or one opened a socket after the
    // close and subscribed (then it stays).
    await until(
      () => (pending.size === 0 && privateSockets() === 0) || sim.state.userDataListeners() > 0,
      10_000,
      'the watches over, or a socket subscribed after the close',
    );
    expect({
      listeners: sim.state.userDataListeners(),
      sockets: privateSockets(),
      watching: pending.size,
    }).toEqual({ listeners: 0, sockets: 0, watching: 0 });
    await h.exchange.close();
  });

  it('a client closed once its streams are up closes their socket too', async () => {
    sim = await startSim();
    const stream = await simExchange(sim, { pro: true });
    const h = await executionHarness(await simExchange(sim), { stream });
    const privateSockets = () => sim.state.wsConnections() - sim.state.streamConnections();
    h.client.start();
    await until(() => sim.state.userDataListeners() === 1, 10_000, 'the private stream subscribed');
    expect(privateSockets()).toBe(1);
    await h.client.close();
    await until(() => privateSockets() === 0, 10_000, 'its socket closed at the venue');
    expect(sim.state.userDataListeners()).toBe(0);
    await h.exchange.close();
  });
});
