import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BinanceSim } from '../../../src/simulators/binance/server.js';
import type { Bar } from '../../../src/trading/data/market-data.js';
import { apiCall } from '../../support/api-call.js';
import { startTestServer } from '../../support/api-server.js';
import { MINUTE, startSim, syntheticBars } from '../../support/ccxt-sim.js';
import { openLiveAccount } from '../../support/live-account.js';
import { REREADER } from '../../support/strategy-host-rig.js';
import { until } from '../../support/until.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field
type Json = any;

/** Bars the strategy hears (bar 0 is history, closed before it starts). */
const HEARD = 16;

/**
 * DESIGN invariant 11 on a live account: a strategy deployed on a live account of `kairos serve`
 * (ccxt's binance against the simulator, in manual time) reads `ctx.order` of its first order on
 * every bar and sizes a later trade on it. The server restarts between bars, while that order is
 * within the window (closed 10 minutes ago or less) and once past it: the reads and orders are
 * those of the run never restarted (`docs/decisions/strategy-order-window.md`).
 */
describe('a strategy on a live account reads an order closed within the window after a restart', () => {
  const now = Math.floor(Date.now() / MINUTE) * MINUTE;
  // Bar 0 closed before the run starts; the rest an hour ahead, so each closes after the start.
  const bars: Bar[] = syntheticBars(HEARD + 2, 5).map((b, i) => {
    const shift =
      i === 0 ? now - MINUTE - b.openTime : now + 60 * MINUTE + (i - 1) * MINUTE - b.openTime;
    return { ...b, openTime: b.openTime + shift, closeTime: b.closeTime + shift };
  });

  /**
   * A run on its own venue and server (`env`: more of its settings); with `restartAt`, restarted
   * after that many bars heard.
   */
  const run = async (restartAt: number | null, env: Record<string, string> = {}) => {
    const sim: BinanceSim = await startSim({ data: bars, preloadBars: 1 });
    const t = await startTestServer({ venues: [{ id: 'binance', url: sim.url }], env });
    let server = t.server;
    try {
      mkdirSync(path.join(t.home, 'strategies'), { recursive: true });
      writeFileSync(path.join(t.home, 'strategies', 'rereader.ts'), REREADER);
      const call = (method: string, route: string, body?: unknown) =>
        apiCall(server.url, method, route, {
          token: t.tokens.quant,
          ...(body === undefined ? {} : { body }),
        });
      const { account } = await openLiveAccount(call, { apiKey: sim.apiKey, secret: sim.secret });
      expect([account.status, account.json.venueStatus?.venue]).toEqual([201, 'UP']);
      const accountId = account.json.id as string;
      const started = await call('POST', '/strategies/rereader/start', { accountId });
      expect(started.status).toBe(201);
      const id = started.json.id as string;
      const listening = async (connections: number | null) =>
        until(
          () =>
            sim.state.subscriptions().some((s) => s.includes('@kline')) &&
            (connections === null || sim.state.streamConnections() === connections),
          30_000,
          'the strategy’s bars subscribed at the venue',
        );
      await listening(null);
      let instance: Json;
      for (let k = 1; k <= HEARD; k++) {
        sim.market.step(); // bar k's open: bar k - 1 closes for the feeds
        if (k >= 2) {
          await until(
            async () => {
              instance = (await call('GET', `/strategies/instances/${id}/state`)).json;
              return instance.lastBarAt === bars[k - 1]!.closeTime && instance.openOrders === 0;
            },
            15_000,
            `bar ${k - 1} handled (the instance is at ${instance?.lastBarAt})`,
          );
          if (k - 1 === restartAt) {
            const connections = sim.state.streamConnections();
            server = await t.restart();
            await until(
              async () =>
                (await call('GET', `/strategies/instances/${id}/state`)).json.status === 'running',
              30_000,
              'the instance resumed',
            );
            // Its feed again (and the old server's market streams gone), before the next bar closes.
            await listening(connections);
          }
        }
        sim.market.advance(1);
      }
      const reads = (instance.state as { reads: string[] }).reads;
      const { orders } = (await call('GET', `/orders?accountId=${accountId}&limit=50`)).json;
      return {
        reads,
        orders: (orders as Json[])
          .map(
            (o) =>
              `${String(o.clientOrderId).split('-').at(-1)} ${o.side} ${o.quantity} ${o.status}`,
          )
          .sort(),
      };
    } finally {
      await server.close();
      await sim.close();
    }
  };

  it('restarted within the window and past it: the same ctx.order reads and orders as the run never restarted', async () => {
    const never = await run(null);
    // Filled at once, read within the window (10 bars of one minute), then no more.
    expect(never.reads.slice(0, 3)).toEqual(['0 none', '1 FILLED', '2 FILLED']);
    expect(never.reads.at(-1)).toBe(`${HEARD - 2} -`);
    expect(never.orders).toHaveLength(2);
    for (const at of [3, 13]) {
      const restarted = await run(at);
      expect({ at, ...restarted }).toEqual({ at, ...never });
    }
    // On its own thread (behind the remote seam, as on Lambda): the resumed seam shows the order
    // closed before the restart within the window, as `ctx.order` reads it in-process.
    const threaded = await run(3, { KAIROS_STRATEGY_THREADS: '1' });
    expect({ at: 3, ...threaded }).toEqual({ at: 3, ...never });
  }, 240_000);
});
